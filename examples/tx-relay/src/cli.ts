#!/usr/bin/env node
/**
 * hearsay-relay: run a transaction relay node, make keys, send transactions, or start a devnet.
 * Every command takes --json for machine-readable output (one JSON object per line).
 */
import { Command, InvalidArgumentError } from 'commander'
import { runDevnet } from './devnet.ts'
import { keygen, send } from './wallet.ts'
import { runNode } from './node-command.ts'
import { RELAYS, isRelayName } from './strategies.ts'

const program = new Command()
  .name('hearsay-relay')
  .description('Cryptocurrency-style transaction relay on hearsay: signed transactions, a validated mempool, Dandelion++ or another relay strategy, bans for misbehaving peers.')
  .showHelpAfterError()
  .exitOverride(err => {
    // usage errors exit 2, as the example programs promise; --help and --version exit 0
    process.exit(err.exitCode === 0 ? 0 : 2)
  })

const relayOption = (value: string): string => {
  if (!isRelayName(value)) throw new InvalidArgumentError(`expected one of ${RELAYS.join(', ')}`)
  return value
}
const integerOption = (value: string): string => {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a non-negative integer')
  return value
}
const collect = (value: string, previous: string[]): string[] => [...previous, value]

program.command('node')
  .description('run a relay node with an HTTP API and dashboard')
  .option('--listen <multiaddr>', 'libp2p listen address', '/ip4/127.0.0.1/tcp/0')
  .option('--bootstrap <multiaddr>', 'peer to join through (repeatable)', collect, [])
  .option('--announce <multiaddr>', 'public address of this node, given to peers as it is (repeatable; a server with one relays for peers behind NATs)', collect, [])
  .option('--data-dir <dir>', 'identity, peer store and mempool survive restarts here')
  .option('--dial-from <ip>', 'source address of outgoing connections')
  .option('--relay <strategy>', `relay strategy: ${RELAYS.join(', ')}`, relayOption, 'dandelion')
  .option('--api <host:port>', 'HTTP API address (port 0 picks a free one)', '127.0.0.1:0')
  .option('--min-fee <n>', 'lowest fee accepted', integerOption, '1')
  .option('--peers-file <file>', 'JSON list of the other nodes\' API URLs, for the dashboard')
  .option('--json', 'print JSON lines')
  .action(async (options) => { await runNode(options) })

program.command('keygen')
  .description('make an Ed25519 key file (mode 0600) and print its public key')
  .option('--out <file>', 'where to write the key', 'relay-key.pem')
  .option('--force', 'overwrite an existing file')
  .option('--json', 'print JSON')
  .action(async (options) => { await keygen(options) })

program.command('send')
  .description('sign a transaction and submit it to a node')
  .requiredOption('--api <url>', 'the node\'s API URL, e.g. http://127.0.0.1:8080')
  .requiredOption('--key <file>', 'the sender\'s key file (from keygen)')
  .requiredOption('--to <pubkey>', 'recipient public key (64 hex characters)')
  .requiredOption('--amount <n>', 'amount', integerOption)
  .requiredOption('--fee <n>', 'fee', integerOption)
  .option('--nonce <n>', 'sender\'s nonce (default: the next one the node knows)', integerOption)
  .option('--json', 'print JSON')
  .action(async (options) => { await send(options) })

program.command('devnet')
  .description('start N relay nodes as processes on loopback and print their API URLs; Ctrl-C stops them all')
  .option('--nodes <n>', 'how many nodes', integerOption, '5')
  .option('--relay <strategy>', `relay strategy: ${RELAYS.join(', ')}`, relayOption, 'dandelion')
  .option('--data-dir <dir>', 'keep the nodes\' data here (default: a temporary directory, removed at exit)')
  .option('--json', 'print JSON lines')
  .action(async (options) => { await runDevnet(options) })

try {
  await program.parseAsync()
} catch (err: any) {
  const json = process.argv.includes('--json')
  const message = err?.message ?? String(err)
  if (json) process.stdout.write(JSON.stringify({ event: 'error', message }) + '\n')
  else process.stderr.write(`hearsay-relay: ${message}\n`)
  process.exit(1)
}
