/**
 * One key's public-key work, done once however many consumers check its signatures
 * (docs/architecture.md §9): the stored validity (verifySelfSignatures) and each Hockeypuck view
 * (hockeypuck-verify.ts) ask the same questions of the same signatures.
 *
 * Only raw cryptography is shared, never a policy's rules: a signer's KeyObject per key-packet
 * body, and the verdict of one public-key operation per (signer, digest algorithm, padding or
 * encoding, digest, signature octets). The digest alone stands for the signed data: RSA, DSA and
 * ECDSA verify the digest of the data under `algorithm`, EdDSA here signs the digest itself. Each
 * consumer still decides which signatures it checks and what a verdict means.
 *
 * The memo lives as long as the PublicKey it belongs to (a property of it), and holds at most
 * MAX_ENTRIES verdicts and signers; past that it answers without remembering.
 *
 * It also keeps the key's time budget (docs/operations.md §13): once `deadline` has passed, every
 * public-key operation not already answered throws LimitError `too-expensive` instead of running,
 * and `overBudget` stays set, so a consumer that swallows the error cannot store a verdict made
 * without it (prepareKey refuses the key).
 */
import { KeyObject } from 'node:crypto';
import { LimitError, PgpError } from '../errors';
import { PublicKey } from '../key';
import { VerifyingKey, verifyingKey } from './pubkey';
import { PublicKeyOperation, runOperation, runOperationAsync } from './verify';

/** verdicts (and signers) remembered per key; a key needing more is hostile or absurd */
const MAX_ENTRIES = 4096;

export class VerifyMemo {
  /** verifyingKey's outcome per key-packet body (latin1): the key, null, or the error it threw */
  private readonly signers = new Map<string, VerifyingKey | null | PgpError>();
  /** a small number per KeyObject, for the verdict keys */
  private readonly ids = new Map<KeyObject, number>();
  private readonly verdicts = new Map<string, boolean>();
  /** performance.now() after which no public-key operation runs (undefined: no budget) */
  private deadline: number | undefined;
  private budgetMs = 0;
  /** set once an operation was refused for the budget: the key's verdicts are incomplete */
  overBudget: LimitError | undefined;

  /** Give this key's public-key work `ms` milliseconds of wall time from now. */
  setBudget(ms: number): void {
    this.budgetMs = ms;
    this.deadline = performance.now() + ms;
  }

  /** Throws LimitError `too-expensive` once the budget has run out. */
  private checkBudget(): void {
    if (this.deadline === undefined) return;
    if (!this.overBudget && performance.now() <= this.deadline) return;
    this.overBudget ??= new LimitError('too-expensive', `checking this key's signatures takes longer than the limit of ${this.budgetMs} ms`);
    throw this.overBudget;
  }

  /** verifyingKey(body), built once per distinct body; throws the same PgpError it threw the first time. */
  signer(body: Buffer): VerifyingKey | null {
    const id = body.toString('latin1');
    let s = this.signers.get(id);
    if (s === undefined) {
      this.checkBudget();
      try {
        s = verifyingKey(body);
      } catch (e) {
        if (!(e instanceof PgpError)) throw e;
        s = e;
      }
      if (this.signers.size < MAX_ENTRIES) this.signers.set(id, s);
    }
    if (s instanceof PgpError) throw s;
    return s;
  }

  /** runOperation(op), run at most once per distinct operation. */
  run(op: PublicKeyOperation): boolean {
    const id = this.verdictId(op);
    if (id === undefined) {
      this.checkBudget();
      return runOperation(op);
    }
    const known = this.verdicts.get(id);
    if (known !== undefined) return known;
    this.checkBudget();
    return this.remember(id, runOperation(op));
  }

  /** runOperationAsync(op), run at most once per distinct operation once the first has answered. */
  async runAsync(op: PublicKeyOperation): Promise<boolean> {
    const id = this.verdictId(op);
    if (id === undefined) {
      this.checkBudget();
      return runOperationAsync(op);
    }
    const known = this.verdicts.get(id);
    if (known !== undefined) return known;
    this.checkBudget();
    return this.remember(id, await runOperationAsync(op));
  }

  private remember(id: string, verdict: boolean): boolean {
    if (this.verdicts.size < MAX_ENTRIES) this.verdicts.set(id, verdict);
    return verdict;
  }

  /** The operation's identity, or undefined when the memo is full of signers. */
  private verdictId(op: PublicKeyOperation): string | undefined {
    const k = op.key;
    let key: KeyObject;
    let mode: string;
    if (k instanceof KeyObject) {
      key = k;
      mode = '';
    } else if ('padding' in k) {
      key = k.key;
      mode = `p${k.padding}`;
    } else {
      key = k.key;
      mode = `e${k.dsaEncoding}`;
    }
    let n = this.ids.get(key);
    if (n === undefined) {
      if (this.ids.size >= MAX_ENTRIES) return undefined;
      n = this.ids.size;
      this.ids.set(key, n);
    }
    return `${n}:${op.algorithm ?? ''}:${mode}:${op.digest.toString('latin1')}:${op.signature.toString('latin1')}`;
  }
}

/**
 * Where a key keeps its memo: a symbol-keyed property of the PublicKey object itself, so the memo
 * is garbage with the key. (A WeakMap did the same, but its ephemeron entries survive until a
 * full collection: an import's heap grew by about 1 KiB per key between them.)
 */
const MEMO = Symbol('verifyMemo');

type WithMemo = PublicKey & { [MEMO]?: VerifyMemo };

/** The memo of this parsed key, created on first use. */
export function verifyMemo(key: PublicKey): VerifyMemo {
  const k = key as WithMemo;
  let m = k[MEMO];
  if (!m) {
    m = new VerifyMemo();
    Object.defineProperty(k, MEMO, { value: m, enumerable: false });
  }
  return m;
}
