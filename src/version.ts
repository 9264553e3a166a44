/** The klip version, written into checkpoints and run folders (a test keeps it equal to package.json). */
export const KLIP_VERSION = '0.1.0';
