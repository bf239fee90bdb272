#!/usr/bin/env node
/**
 * hearsay-relay: run a transaction relay node, make keys, send transactions, or start a devnet.
 * Every command takes --json (one JSON object per line on stdout), --quiet and --verbose.
 * Exit codes: 0 done, 1 failed, 2 usage error; either way one line on stderr says why.
 */
// first: a node whose launcher (npx, pnpm, a devnet) died stops instead of running on, orphaned
import '../../shared/src/stop-with-launcher.ts'
import { readFileSync } from 'node:fs'
import { enable } from '@libp2p/logger'
import { Command, Option } from 'commander'
import { DEFAULT_API_PORT, DEFAULT_P2P_PORT, cookieFile, defaultDataDir } from './data-dir.ts'
import { EXIT, Output, UsageError } from './output.ts'
import { announceAddr, bootstrapAddr, hostPort, httpUrl, integerIn, ipAddress, listenAddr, publicKeyText, relayName, repeatable, u64 } from './options.ts'
import { RELAYS } from './relay-names.ts'

// the commands load libp2p and the rest only when they run: --help and usage errors stay quick

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }

// `pnpm hearsay-relay` runs this in the repository root: resolve the user's paths from where
// they typed the command
if (process.env.npm_lifecycle_event === 'hearsay-relay' && process.env.INIT_CWD != null) process.chdir(process.env.INIT_CWD)

const json = process.argv.includes('--json')
let out = new Output({ json })

/** --json, --quiet, --verbose: on every command. */
function outputOptions (command: Command): Command {
  return command
    .option('--json', 'one JSON object per line on stdout (errors also on stderr)')
    .addOption(new Option('--quiet', 'print only errors and warnings').conflicts('verbose'))
    .option('--verbose', 'also log what the node does to stderr (as DEBUG=hearsay:* would)')
    .hook('preAction', (_cmd, action) => {
      const o = action.opts()
      out = new Output({ json: o.json, quiet: o.quiet })
      if (o.verbose === true) enable([process.env.DEBUG, 'hearsay:*'].filter(v => v != null && v !== '').join(','))
    })
}

const program = new Command()
  .name('hearsay-relay')
  .description('Cryptocurrency-style transaction relay on hearsay: signed transactions, a validated mempool, Dandelion++ or another relay strategy, bans for misbehaving peers.')
  .version(version, '-V, --version', 'print the version')
  .configureOutput({
    // usage errors: one line naming the flag (commander's own wording), also as JSON with --json
    outputError: (text, write) => {
      const message = text.trim().replace(/^error: /, '')
      write(`hearsay-relay: ${message}\n`)
      if (json) process.stdout.write(JSON.stringify({ event: 'error', message, code: EXIT.usage }) + '\n')
    }
  })
  .exitOverride(err => {
    // --help and --version exit 0, usage errors 2
    process.exit(err.exitCode === 0 ? EXIT.ok : EXIT.usage)
  })

outputOptions(program.command('node'))
  .description('run a relay node with an HTTP API and dashboard, until Ctrl-C')
  .option('--data-dir <dir>', `identity, peer store, mempool, config file and API cookie [default: ${defaultDataDir()}]`)
  .option('--config <file>', 'config file (JSON; flags override it) [default: <data-dir>/hearsay-relay.json]')
  .option('--listen <multiaddr>', `TCP address to listen on (repeatable) [default: /ip4/127.0.0.1/tcp/${DEFAULT_P2P_PORT}]`, repeatable(listenAddr))
  .option('--announce <multiaddr>', 'this node\'s public address, announced as it is (repeatable), e.g. /ip4/<public ip>/tcp/7333; makes it a relay for nodes behind NATs', repeatable(announceAddr))
  .option('--bootstrap <multiaddr>', 'peer to join through, ending in /p2p/<peer id> (repeatable)', repeatable(bootstrapAddr))
  .option('--dial-from <ip>', 'source address of outgoing connections (many nodes on one machine)', ipAddress)
  .option('--relay <strategy>', `relay strategy: ${RELAYS.join(', ')} [default: dandelion]`, relayName)
  .option('--api <host:port>', `HTTP API address; port 0 picks a free one [default: 127.0.0.1:${DEFAULT_API_PORT}]`, hostPort)
  .option('--min-fee <n>', 'lowest fee accepted [default: 1]', u64)
  .addOption(new Option('--peers-file <file>', 'JSON list of the other nodes\' API URLs, for the dashboard (written by devnet)'))
  .action(async (options) => { await (await import('./node-command.ts')).runNode(options, out) })

outputOptions(program.command('keygen'))
  .description('make an Ed25519 key file (mode 0600) and print its public key')
  .option('--out <file>', 'where to write the key', 'relay-key.pem')
  .option('--force', 'overwrite an existing file')
  .action(async (options) => { await (await import('./wallet.ts')).keygen(options, out) })

outputOptions(program.command('send'))
  .description('sign a transaction and submit it to a node')
  .option('--api <url>', 'the node\'s API URL', httpUrl, `http://127.0.0.1:${DEFAULT_API_PORT}`)
  .option('--cookie <file>', 'the node\'s API cookie, whose token authorizes writes', cookieFile(defaultDataDir()))
  .requiredOption('--key <file>', 'the sender\'s key file (from keygen)')
  .requiredOption('--to <pubkey>', 'recipient public key (64 hex characters)', publicKeyText)
  .requiredOption('--amount <n>', 'amount', u64)
  .requiredOption('--fee <n>', 'fee', u64)
  .option('--nonce <n>', 'sender\'s nonce (default: the next one the node knows)', u64)
  .action(async (options) => { await (await import('./wallet.ts')).send(options, out) })

outputOptions(program.command('devnet'))
  .description('start N relay nodes as processes on loopback and print their API URLs; Ctrl-C stops them all')
  .option('--nodes <n>', 'how many nodes, 1 to 100', (value: string) => Number(integerIn(1n, 100n)(value)), 5)
  .option('--relay <strategy>', `relay strategy: ${RELAYS.join(', ')}`, relayName, 'dandelion')
  .option('--data-dir <dir>', `keep the nodes' data here, one directory each (default: a temporary directory, removed at exit)`)
  .action(async (options) => { await (await import('./devnet.ts')).runDevnet(options, out) })

try {
  await program.parseAsync()
} catch (err: any) {
  const usage = err instanceof UsageError
  out.error(err?.message ?? String(err), usage ? EXIT.usage : EXIT.failure)
  process.exit(usage ? EXIT.usage : EXIT.failure)
}
