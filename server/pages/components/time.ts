// One time format for server and browser rendering, so live items look like first-paint ones.
export const formatTime = (iso: string): string =>
  `${new Date(iso).toISOString().replace('T', ' ').slice(0, 16)} UTC`;

export const formatMoney = (cents: number, currency: string): string =>
  `${(cents / 100).toFixed(2)} ${currency}`;
