import type { Codec, DecodeOptions } from 'protons-runtime';
import type { Uint8ArrayList } from 'uint8arraylist';
export interface Entry {
    key: string;
    value: Uint8Array<ArrayBuffer>;
    deleted: boolean;
    wall: number;
    counter: number;
    node: string;
}
export declare namespace Entry {
    const codec: () => Codec<Entry>;
    interface EntryKeyFieldEvent {
        field: '$.key';
        value: string;
    }
    interface EntryValueFieldEvent {
        field: '$.value';
        value: Uint8Array<ArrayBuffer>;
    }
    interface EntryDeletedFieldEvent {
        field: '$.deleted';
        value: boolean;
    }
    interface EntryWallFieldEvent {
        field: '$.wall';
        value: number;
    }
    interface EntryCounterFieldEvent {
        field: '$.counter';
        value: number;
    }
    interface EntryNodeFieldEvent {
        field: '$.node';
        value: string;
    }
    function encode(obj: Partial<Entry>): Uint8Array<ArrayBuffer>;
    function decode(buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Entry>): Entry;
    function stream(buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Entry>): Generator<EntryKeyFieldEvent | EntryValueFieldEvent | EntryDeletedFieldEvent | EntryWallFieldEvent | EntryCounterFieldEvent | EntryNodeFieldEvent>;
}
export interface Version {
    key: string;
    wall: number;
    counter: number;
    node: string;
    hash: Uint8Array<ArrayBuffer>;
}
export declare namespace Version {
    const codec: () => Codec<Version>;
    interface VersionKeyFieldEvent {
        field: '$.key';
        value: string;
    }
    interface VersionWallFieldEvent {
        field: '$.wall';
        value: number;
    }
    interface VersionCounterFieldEvent {
        field: '$.counter';
        value: number;
    }
    interface VersionNodeFieldEvent {
        field: '$.node';
        value: string;
    }
    interface VersionHashFieldEvent {
        field: '$.hash';
        value: Uint8Array<ArrayBuffer>;
    }
    function encode(obj: Partial<Version>): Uint8Array<ArrayBuffer>;
    function decode(buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Version>): Version;
    function stream(buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Version>): Generator<VersionKeyFieldEvent | VersionWallFieldEvent | VersionCounterFieldEvent | VersionNodeFieldEvent | VersionHashFieldEvent>;
}
export interface Push {
    entries: Entry[];
}
export declare namespace Push {
    const codec: () => Codec<Push>;
    interface PushEntriesKeyFieldEvent {
        field: '$.entries[].key';
        value: string;
        index: number;
    }
    interface PushEntriesValueFieldEvent {
        field: '$.entries[].value';
        value: Uint8Array<ArrayBuffer>;
        index: number;
    }
    interface PushEntriesDeletedFieldEvent {
        field: '$.entries[].deleted';
        value: boolean;
        index: number;
    }
    interface PushEntriesWallFieldEvent {
        field: '$.entries[].wall';
        value: number;
        index: number;
    }
    interface PushEntriesCounterFieldEvent {
        field: '$.entries[].counter';
        value: number;
        index: number;
    }
    interface PushEntriesNodeFieldEvent {
        field: '$.entries[].node';
        value: string;
        index: number;
    }
    function encode(obj: Partial<Push>): Uint8Array<ArrayBuffer>;
    function decode(buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Push>): Push;
    function stream(buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Push>): Generator<PushEntriesKeyFieldEvent | PushEntriesValueFieldEvent | PushEntriesDeletedFieldEvent | PushEntriesWallFieldEvent | PushEntriesCounterFieldEvent | PushEntriesNodeFieldEvent>;
}
export interface Digest {
    buckets: Uint8Array<ArrayBuffer>[];
}
export declare namespace Digest {
    const codec: () => Codec<Digest>;
    interface DigestBucketsFieldEvent {
        field: '$.buckets[]';
        index: number;
        value: Uint8Array<ArrayBuffer>;
    }
    function encode(obj: Partial<Digest>): Uint8Array<ArrayBuffer>;
    function decode(buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Digest>): Digest;
    function stream(buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Digest>): Generator<DigestBucketsFieldEvent>;
}
export interface Versions {
    buckets: number[];
    versions: Version[];
    truncated: boolean;
}
export declare namespace Versions {
    const codec: () => Codec<Versions>;
    interface VersionsBucketsFieldEvent {
        field: '$.buckets[]';
        index: number;
        value: number;
    }
    interface VersionsVersionsKeyFieldEvent {
        field: '$.versions[].key';
        value: string;
        index: number;
    }
    interface VersionsVersionsWallFieldEvent {
        field: '$.versions[].wall';
        value: number;
        index: number;
    }
    interface VersionsVersionsCounterFieldEvent {
        field: '$.versions[].counter';
        value: number;
        index: number;
    }
    interface VersionsVersionsNodeFieldEvent {
        field: '$.versions[].node';
        value: string;
        index: number;
    }
    interface VersionsVersionsHashFieldEvent {
        field: '$.versions[].hash';
        value: Uint8Array<ArrayBuffer>;
        index: number;
    }
    interface VersionsTruncatedFieldEvent {
        field: '$.truncated';
        value: boolean;
    }
    function encode(obj: Partial<Versions>): Uint8Array<ArrayBuffer>;
    function decode(buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Versions>): Versions;
    function stream(buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Versions>): Generator<VersionsBucketsFieldEvent | VersionsVersionsKeyFieldEvent | VersionsVersionsWallFieldEvent | VersionsVersionsCounterFieldEvent | VersionsVersionsNodeFieldEvent | VersionsVersionsHashFieldEvent | VersionsTruncatedFieldEvent>;
}
export interface Exchange {
    entries: Entry[];
    want: string[];
}
export declare namespace Exchange {
    const codec: () => Codec<Exchange>;
    interface ExchangeEntriesKeyFieldEvent {
        field: '$.entries[].key';
        value: string;
        index: number;
    }
    interface ExchangeEntriesValueFieldEvent {
        field: '$.entries[].value';
        value: Uint8Array<ArrayBuffer>;
        index: number;
    }
    interface ExchangeEntriesDeletedFieldEvent {
        field: '$.entries[].deleted';
        value: boolean;
        index: number;
    }
    interface ExchangeEntriesWallFieldEvent {
        field: '$.entries[].wall';
        value: number;
        index: number;
    }
    interface ExchangeEntriesCounterFieldEvent {
        field: '$.entries[].counter';
        value: number;
        index: number;
    }
    interface ExchangeEntriesNodeFieldEvent {
        field: '$.entries[].node';
        value: string;
        index: number;
    }
    interface ExchangeWantFieldEvent {
        field: '$.want[]';
        index: number;
        value: string;
    }
    function encode(obj: Partial<Exchange>): Uint8Array<ArrayBuffer>;
    function decode(buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Exchange>): Exchange;
    function stream(buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Exchange>): Generator<ExchangeEntriesKeyFieldEvent | ExchangeEntriesValueFieldEvent | ExchangeEntriesDeletedFieldEvent | ExchangeEntriesWallFieldEvent | ExchangeEntriesCounterFieldEvent | ExchangeEntriesNodeFieldEvent | ExchangeWantFieldEvent>;
}
export interface Entries {
    entries: Entry[];
}
export declare namespace Entries {
    const codec: () => Codec<Entries>;
    interface EntriesEntriesKeyFieldEvent {
        field: '$.entries[].key';
        value: string;
        index: number;
    }
    interface EntriesEntriesValueFieldEvent {
        field: '$.entries[].value';
        value: Uint8Array<ArrayBuffer>;
        index: number;
    }
    interface EntriesEntriesDeletedFieldEvent {
        field: '$.entries[].deleted';
        value: boolean;
        index: number;
    }
    interface EntriesEntriesWallFieldEvent {
        field: '$.entries[].wall';
        value: number;
        index: number;
    }
    interface EntriesEntriesCounterFieldEvent {
        field: '$.entries[].counter';
        value: number;
        index: number;
    }
    interface EntriesEntriesNodeFieldEvent {
        field: '$.entries[].node';
        value: string;
        index: number;
    }
    function encode(obj: Partial<Entries>): Uint8Array<ArrayBuffer>;
    function decode(buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Entries>): Entries;
    function stream(buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Entries>): Generator<EntriesEntriesKeyFieldEvent | EntriesEntriesValueFieldEvent | EntriesEntriesDeletedFieldEvent | EntriesEntriesWallFieldEvent | EntriesEntriesCounterFieldEvent | EntriesEntriesNodeFieldEvent>;
}
export interface KvFrame {
    push?: Push;
    digest?: Digest;
    versions?: Versions;
    exchange?: Exchange;
    entries?: Entries;
}
export declare namespace KvFrame {
    const codec: () => Codec<KvFrame>;
    interface KvFramePushEntriesKeyFieldEvent {
        field: '$.push.entries[].key';
        value: string;
        index: number;
    }
    interface KvFramePushEntriesValueFieldEvent {
        field: '$.push.entries[].value';
        value: Uint8Array<ArrayBuffer>;
        index: number;
    }
    interface KvFramePushEntriesDeletedFieldEvent {
        field: '$.push.entries[].deleted';
        value: boolean;
        index: number;
    }
    interface KvFramePushEntriesWallFieldEvent {
        field: '$.push.entries[].wall';
        value: number;
        index: number;
    }
    interface KvFramePushEntriesCounterFieldEvent {
        field: '$.push.entries[].counter';
        value: number;
        index: number;
    }
    interface KvFramePushEntriesNodeFieldEvent {
        field: '$.push.entries[].node';
        value: string;
        index: number;
    }
    interface KvFrameDigestBucketsFieldEvent {
        field: '$.digest.buckets[]';
        index: number;
        value: Uint8Array<ArrayBuffer>;
    }
    interface KvFrameVersionsBucketsFieldEvent {
        field: '$.versions.buckets[]';
        index: number;
        value: number;
    }
    interface KvFrameVersionsVersionsKeyFieldEvent {
        field: '$.versions.versions[].key';
        value: string;
        index: number;
    }
    interface KvFrameVersionsVersionsWallFieldEvent {
        field: '$.versions.versions[].wall';
        value: number;
        index: number;
    }
    interface KvFrameVersionsVersionsCounterFieldEvent {
        field: '$.versions.versions[].counter';
        value: number;
        index: number;
    }
    interface KvFrameVersionsVersionsNodeFieldEvent {
        field: '$.versions.versions[].node';
        value: string;
        index: number;
    }
    interface KvFrameVersionsVersionsHashFieldEvent {
        field: '$.versions.versions[].hash';
        value: Uint8Array<ArrayBuffer>;
        index: number;
    }
    interface KvFrameVersionsTruncatedFieldEvent {
        field: '$.versions.truncated';
        value: boolean;
    }
    interface KvFrameExchangeEntriesKeyFieldEvent {
        field: '$.exchange.entries[].key';
        value: string;
        index: number;
    }
    interface KvFrameExchangeEntriesValueFieldEvent {
        field: '$.exchange.entries[].value';
        value: Uint8Array<ArrayBuffer>;
        index: number;
    }
    interface KvFrameExchangeEntriesDeletedFieldEvent {
        field: '$.exchange.entries[].deleted';
        value: boolean;
        index: number;
    }
    interface KvFrameExchangeEntriesWallFieldEvent {
        field: '$.exchange.entries[].wall';
        value: number;
        index: number;
    }
    interface KvFrameExchangeEntriesCounterFieldEvent {
        field: '$.exchange.entries[].counter';
        value: number;
        index: number;
    }
    interface KvFrameExchangeEntriesNodeFieldEvent {
        field: '$.exchange.entries[].node';
        value: string;
        index: number;
    }
    interface KvFrameExchangeWantFieldEvent {
        field: '$.exchange.want[]';
        index: number;
        value: string;
    }
    interface KvFrameEntriesEntriesKeyFieldEvent {
        field: '$.entries.entries[].key';
        value: string;
        index: number;
    }
    interface KvFrameEntriesEntriesValueFieldEvent {
        field: '$.entries.entries[].value';
        value: Uint8Array<ArrayBuffer>;
        index: number;
    }
    interface KvFrameEntriesEntriesDeletedFieldEvent {
        field: '$.entries.entries[].deleted';
        value: boolean;
        index: number;
    }
    interface KvFrameEntriesEntriesWallFieldEvent {
        field: '$.entries.entries[].wall';
        value: number;
        index: number;
    }
    interface KvFrameEntriesEntriesCounterFieldEvent {
        field: '$.entries.entries[].counter';
        value: number;
        index: number;
    }
    interface KvFrameEntriesEntriesNodeFieldEvent {
        field: '$.entries.entries[].node';
        value: string;
        index: number;
    }
    function encode(obj: Partial<KvFrame>): Uint8Array<ArrayBuffer>;
    function decode(buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<KvFrame>): KvFrame;
    function stream(buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<KvFrame>): Generator<KvFramePushEntriesKeyFieldEvent | KvFramePushEntriesValueFieldEvent | KvFramePushEntriesDeletedFieldEvent | KvFramePushEntriesWallFieldEvent | KvFramePushEntriesCounterFieldEvent | KvFramePushEntriesNodeFieldEvent | KvFrameDigestBucketsFieldEvent | KvFrameVersionsBucketsFieldEvent | KvFrameVersionsVersionsKeyFieldEvent | KvFrameVersionsVersionsWallFieldEvent | KvFrameVersionsVersionsCounterFieldEvent | KvFrameVersionsVersionsNodeFieldEvent | KvFrameVersionsVersionsHashFieldEvent | KvFrameVersionsTruncatedFieldEvent | KvFrameExchangeEntriesKeyFieldEvent | KvFrameExchangeEntriesValueFieldEvent | KvFrameExchangeEntriesDeletedFieldEvent | KvFrameExchangeEntriesWallFieldEvent | KvFrameExchangeEntriesCounterFieldEvent | KvFrameExchangeEntriesNodeFieldEvent | KvFrameExchangeWantFieldEvent | KvFrameEntriesEntriesKeyFieldEvent | KvFrameEntriesEntriesValueFieldEvent | KvFrameEntriesEntriesDeletedFieldEvent | KvFrameEntriesEntriesWallFieldEvent | KvFrameEntriesEntriesCounterFieldEvent | KvFrameEntriesEntriesNodeFieldEvent>;
}
