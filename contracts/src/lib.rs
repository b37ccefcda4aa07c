//! Consumer-driven contracts (see README.md); the tests are the substance.
