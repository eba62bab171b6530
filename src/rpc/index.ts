/** The RPC module's public surface: the node wires `createRpcServer` with its `RpcBackend`. */
export type { AccountProof, CallRequest, CallResult, RpcBackend, StateOverrides, StateView } from './backend.js'
export type { RpcContext, RpcMethod } from './context.js'
export { createDispatcher, type Dispatcher, type RpcLogger } from './dispatcher.js'
export { RpcErrorCode, decodeRevertReason, toJsonRpcError, type JsonRpcErrorObject } from './errorMapping.js'
export { createMethodTable, STANDARD_METHODS } from './methods/index.js'
export { createRpcServer, DEFAULT_MAX_BATCH_SIZE, DEFAULT_MAX_BODY_BYTES, type RpcServer, type RpcServerOptions } from './server.js'
export type * from './rpcTypes.js'
