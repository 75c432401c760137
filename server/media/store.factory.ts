// The store a configuration names, made once per configuration (servers, workers and the CLI alike).
import type { Config } from '../config.ts';
import { LocalStore } from './local-store.ts';
import type { MediaStore } from './media.store.ts';
import { S3Store } from './s3-store.ts';

const stores = new WeakMap<Config, MediaStore>();

export function mediaStoreOf(config: Config): MediaStore {
  let store = stores.get(config);
  if (!store) {
    const s3 = config.media.s3;
    store =
      config.media.storage === 's3' && s3
        ? new S3Store({ ...s3, publicBase: config.media.publicUrl })
        : new LocalStore({
            dir: config.media.dir,
            secret: config.captchaHmacKey,
            origin: config.publicUrl,
            publicBase: config.media.publicUrl,
          });
    stores.set(config, store);
  }
  return store;
}
