/**
 * The piece transfer's sans-IO cores, without libp2p: the {@link PiecePicker} (what to
 * request from whom) and the {@link PieceSession} (which frame may come when), with the
 * {@link Bitfield} they share and the wire format they speak. Downloads and uploads drive
 * them; unit tests drive them with a manual clock and seeded randomness.
 *
 * @module @hearsay/file-index/pieces
 */
export { PiecePicker, PICKER_DEFAULTS } from './picker.ts'
export type { PickerOptions, PickerAction, PickerProgress, Received } from './picker.ts'
export { PieceSession } from './session.ts'
export type { SessionAction, ServedFile, ServeLimits } from './session.ts'
export { Bitfield } from './bitfield.ts'
export { PIECES_PROTOCOL, PIECE_WIRE_DEFAULTS, encodeFrame, decodeFrame, decodePieceFrame, maxResponseFrameBytes } from './wire.ts'
export type { PieceMessage, PieceRange, PieceWireLimits, RejectReason } from './wire.ts'
