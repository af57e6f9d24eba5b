/** The package version, written into every run record. */
export const VERSION = '0.1.0';
