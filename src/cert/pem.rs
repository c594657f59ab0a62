//! A tolerant PEM scanner.
