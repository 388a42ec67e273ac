// Counts and sizes as the page writes them, the same in every message.

/** A count: 70,000. */
export const thousands = (n) => n.toLocaleString('en');

/** Decimal megabytes: 55 MB, 2.4 MB. */
export const megabytes = (bytes) => `${(bytes / 1e6).toLocaleString('en', { maximumFractionDigits: bytes < 10e6 ? 1 : 0 })} MB`;
