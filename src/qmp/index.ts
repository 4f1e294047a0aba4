/**
 * Typed QMP (QEMU Machine Protocol) client: framing, command/event typings, errors, client.
 * @module
 */
export { JsonLineDecoder, type JsonLineDecoderOptions } from './framing.js'
export * from './types.js'
export { QmpError, QmpProtocolError, QmpClosedError, QmpTimeoutError, QmpConnectError, describeCommand } from './errors.js'
export {
  QmpClient,
  type QmpConnectOptions,
  type QmpExecuteOptions,
  type QmpExecuteParams,
  type QmpWaitOptions,
  type QmpEventHandler,
  type QmpTrafficDirection,
} from './client.js'
