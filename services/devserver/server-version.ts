/** Version string reported by GetSystemInfo and GetClusterInfo. */
export const SERVER_VERSION = '1.24.0-somagent-devserver';
