// What each page script receives.
import type { PlazaClient } from '@plaza/client';

export interface PageContext {
  client: PlazaClient;
  /** The seq the server read before rendering this page: live updates resume from here. */
  seq: number;
  /** Username of the signed-in viewer, or '' when anonymous. */
  user: string;
  main: HTMLElement;
}
