// Package audit keeps a tamper-evident, append-only log of decisions: one
// JSON line per record, each carrying the SHA-256 of the previous line (a
// hash chain), with Ed25519-signed checkpoints so that a cut tail is
// detectable too. It stands alone: no model, no engine.
//
// # Record lines
//
// A plaintext log is a sequence of lines, each a JSON object ending in "\n":
//
//	{"v":1,"seq":0,"prev":"000…000","time":"2026-12-03T13:05:26.123456789Z","kind":"decision",
//	 "request_id":"r1","model":"icd","model_sha256":"…","input_sha256":"…",
//	 "labels":[{"label":"I10","score":0.93}],"latency_ms":12.5}
//
// Fields appear in the order of the Record struct; empty optional fields are
// omitted; the encoding is Go's encoding/json.Marshal (so "<", ">" and "&"
// in strings appear as \u003c, \u003e, \u0026). Verify rejects any line
// that is not exactly the re-encoding of what it decodes to (the canonical
// form), so the JSON a reader sees is exactly what the chain covers.
//
//   - seq counts records from 0, without gaps.
//   - prev is the lowercase hex SHA-256 of the previous line's bytes, without
//     its "\n"; the first record's prev is 64 zeros. An external verifier
//     needs no JSON canonicalisation: hash each line as it is in the file.
//   - time is UTC, fixed width, nanoseconds (TimeLayout); the writer's clock,
//     not a trusted timestamp.
//   - kind is "decision" (default), "feedback" or another caller kind;
//     the writer itself writes "reopen" (a resumed log, with a note on what
//     a crash left behind) and "checkpoint".
//   - input_sha256 is HashText(input); the input text itself ("text") is
//     logged only when the caller sets it (an explicit opt-in).
//
// # Checkpoints
//
// A checkpoint is a record {"v","seq","prev","time","kind":"checkpoint",
// "key_id","sig"}: sig is the standard base64 Ed25519 signature of the bytes
//
//	"medbert-audit-checkpoint-v1\nseq=<seq>\nprev=<prev>\ntime=<time>\nkey_id=<key_id>\n"
//
// and key_id is KeyID of the public key. Because prev is the hash of the
// line before, a checkpoint signs the whole log up to itself. The writer
// adds one every Options.CheckpointEvery records, every
// Options.CheckpointInterval, after a reopen, and at Close; it copies each
// to PATH.head (atomically replaced) once the log holding it is durable.
//
// # What Verify detects, and what it cannot
//
// Detected, naming the first bad line and seq: any changed byte of any
// record (its own hash or canonical form, or the next record's prev); a
// deleted, inserted, duplicated or reordered record (seq and prev); a
// removed start of log (genesis prev); a forged or altered checkpoint; a
// torn (incomplete) last line. With an anchor (the .head file, or a copy of
// any checkpoint kept elsewhere): a log cut anywhere before the anchor.
//
// Not detectable from the log alone: removing whole records from the end
// back to any record boundary — the result is a shorter but consistent
// log. A clean Close ends the log with a checkpoint, so a log that does not
// end with one was either cut or left by a crash, and Report.Unprotected
// counts the records after the last checkpoint; only an anchor kept where
// an attacker cannot roll it back (another machine, via
// Options.OnCheckpoint; write-once storage)
// turns a cut into an error. Someone holding the private signing key can
// rewrite the whole log: keep the key away from the log's storage. One log
// file has one signing key; rotate keys by starting a new file.
//
// # Encrypted logs
//
// With Options.SealKey the first line is a plaintext header
// {"medbert_audit":1,"sealed":"aes-256-gcm","salt":…,"key_check":…} and
// every later line is the standard base64 of a seal.RecordSealer record
// (AES-256-GCM, random nonce, per-file key from the salt) holding the
// plaintext line. Records stay appendable and individually authenticated;
// the chain and checkpoints are computed over the plaintext lines, so a
// decrypted log verifies like a plaintext one.
//
// # Durability
//
// Lines are written whole and fsynced in groups (SyncGroup) or before
// Append returns (SyncStrict, with group commit). A crash loses at most
// the records not yet synced and can leave a torn last line; earlier lines
// are never rewritten. Open cuts a torn last line (it was never
// acknowledged as durable) and records that in a "reopen" record.
package audit
