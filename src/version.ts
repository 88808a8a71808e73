/** Keypebble's version, reported by `--version`, /healthz and the build-info metric. */
export const VERSION = "0.1.0";
