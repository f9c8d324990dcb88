import * as fs from 'node:fs';
import { PolicyError, parsePolicy } from '../classify/policy-load.js';
import { builtinPolicy, type Policy } from '../classify/policy.js';
import { describeOsError } from '../io/byte-stream.js';

/** The policy named by --policy, or the built-in one. Throws PolicyError. */
export function loadPolicy(path: string | undefined): Policy {
  if (path === undefined) return builtinPolicy();
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch (err) {
    throw new PolicyError(path, [{ path: '', message: describeOsError(err) }]);
  }
  return parsePolicy(text, path);
}
