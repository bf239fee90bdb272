import { overriding } from './overriding.ts'

/**
 * A transport factory whose transports hand every connection they make or accept to `prepare`
 * before the upgrader sees it. libp2p has no hook for a raw connection: the transport gets the
 * upgrader in its dial and listen options, so this wraps that upgrader.
 *
 * @typeParam Factory - the transport factory's type, kept as it is
 * @param factory - a transport factory, e.g. `tcp()` of `@libp2p/tcp`
 * @param prepare - what to do to each multiaddr connection (it may change the connection in place)
 * @returns the same factory, whose connections pass through `prepare`
 */
export function beforeUpgrade<Factory extends (components: any) => any> (factory: Factory, prepare: (maConn: any) => unknown): Factory {
  const upgrading = (upgrader: any): unknown => overriding(upgrader, {
    upgradeInbound: async (maConn: unknown, options: unknown) => {
      prepare(maConn)
      return await upgrader.upgradeInbound(maConn, options)
    },
    upgradeOutbound: async (maConn: unknown, options: unknown) => {
      prepare(maConn)
      return await upgrader.upgradeOutbound(maConn, options)
    }
  })
  const wrapped = (components: any): any => {
    const transport = factory(components)
    const dial = transport.dial.bind(transport)
    transport.dial = async (ma: unknown, options: any): Promise<unknown> =>
      await dial(ma, { ...options, upgrader: upgrading(options.upgrader) })
    const createListener = transport.createListener.bind(transport)
    transport.createListener = (options: any): unknown =>
      createListener({ ...options, upgrader: upgrading(options.upgrader) })
    return transport
  }
  return wrapped as Factory
}
