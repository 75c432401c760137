// Request bodies and query options of the REST API (API.md), as the SDK sends them.
import type { Role } from './protocol.ts';

export interface PageOptions {
  limit?: number;
  cursor?: string | null;
}

/** `me.update`: what is left out stays as it is. */
export interface UpdateProfileInput {
  displayName?: string;
  /** Plain text, at most 500 characters; '' clears it. */
  bio?: string;
}

export interface RegisterInput {
  email: string;
  username: string;
  password: string;
  displayName?: string;
  /** Solved ALTCHA payload; the client solves one for you when omitted. */
  captcha?: string;
}

export interface LoginInput {
  /** Email or username. */
  login: string;
  password: string;
  captcha?: string;
}

export interface CreateEventInput {
  title: string;
  summary?: string;
  description: string;
  location?: string;
  startsAt: string;
  endsAt: string;
  capacity?: number | null;
  priceCents?: number;
  /** One of your `ready`, unattached media: the event's 1600×900 cover. */
  coverMediaId?: string;
}

/** `coverMediaId: null` removes the cover. */
export type UpdateEventInput = Partial<Omit<CreateEventInput, 'coverMediaId'>> & {
  coverMediaId?: string | null;
};

export interface TransferInput {
  to: string;
  amountCents: number;
  memo?: string;
}

export interface MintInput {
  username: string;
  amountCents: number;
  memo?: string;
}

export interface SetRoleInput {
  role: Role;
}
