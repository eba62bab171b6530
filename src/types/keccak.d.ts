declare module 'keccak' {
  interface Hasher {
    update(data: Buffer | string): Hasher
    digest(): Buffer
    digest(encoding: 'hex'): string
  }
  export default function createKeccakHash(algorithm: 'keccak256' | 'keccak512' | string): Hasher
}
