import { createReadStream } from 'node:fs'
import createKeccakHash from 'keccak'
import { ErrorCode, SteleError } from '../../primitives/errors.js'

/** keccak256 of a file's bytes (its content hash, docs/spec/data.md), streamed so large files need no memory. */
export async function hashFile(path: string): Promise<Uint8Array> {
  const hash = createKeccakHash('keccak256')
  try {
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  } catch (cause) {
    throw new SteleError(ErrorCode.InvalidInput, `cannot read ${path}`, { cause })
  }
  return new Uint8Array(hash.digest())
}
