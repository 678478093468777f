"""The ELF model: headers read by pyelftools (:mod:`.reader`) into plain dataclasses
with gABI names (:mod:`.model`), symbol and relocation tables read lazily as arrays
(:mod:`.symbols`, :mod:`.relocations`), constants (:mod:`.constants`) and facts several
rules share (:mod:`.facts`)."""
