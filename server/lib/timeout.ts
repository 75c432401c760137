// A promise bounded in time: what answers within `ms`, or an error saying what did not.

/** Resolves with `promise`'s value, or rejects once `ms` have passed without an answer. */
export async function within<T>(promise: Promise<T>, ms: number, what = 'the answer'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
