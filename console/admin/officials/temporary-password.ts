import { randomInt } from 'node:crypto';

/** No 0/O, 1/l/I: the admin reads it out or copies it by hand to the official. */
const ALPHABET = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
export const TEMPORARY_PASSWORD_LENGTH = 12;

/** 12 characters of a 55-letter alphabet: about 69 bits, from the CSPRNG. */
export function generateTemporaryPassword(): string {
  let out = '';
  for (let i = 0; i < TEMPORARY_PASSWORD_LENGTH; i++) out += ALPHABET[randomInt(ALPHABET.length)];
  return out;
}
