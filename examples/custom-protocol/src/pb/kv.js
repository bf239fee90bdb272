import { decodeMessage, encodeMessage, MaxLengthError, message, streamMessage } from 'protons-runtime';
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc';
export var Entry;
(function (Entry) {
    let _codec;
    Entry.codec = () => {
        if (_codec == null) {
            _codec = message((obj, w, opts = {}) => {
                if (opts.lengthDelimited !== false) {
                    w.fork();
                }
                if ((obj.key != null && obj.key !== '')) {
                    w.uint32(10);
                    w.string(obj.key);
                }
                if ((obj.value != null && obj.value.byteLength > 0)) {
                    w.uint32(18);
                    w.bytes(obj.value);
                }
                if ((obj.deleted != null && obj.deleted !== false)) {
                    w.uint32(24);
                    w.bool(obj.deleted);
                }
                if ((obj.wall != null && obj.wall !== 0)) {
                    w.uint32(32);
                    w.uint64Number(obj.wall);
                }
                if ((obj.counter != null && obj.counter !== 0)) {
                    w.uint32(40);
                    w.uint32(obj.counter);
                }
                if ((obj.node != null && obj.node !== '')) {
                    w.uint32(50);
                    w.string(obj.node);
                }
                if (opts.lengthDelimited !== false) {
                    w.ldelim();
                }
            }, (reader, length, opts = {}) => {
                const obj = {
                    key: '',
                    value: uint8ArrayAlloc(0),
                    deleted: false,
                    wall: 0,
                    counter: 0,
                    node: ''
                };
                const end = length == null ? reader.len : reader.pos + length;
                while (reader.pos < end) {
                    const tag = reader.uint32();
                    switch (tag >>> 3) {
                        case 1: {
                            obj.key = reader.string();
                            break;
                        }
                        case 2: {
                            obj.value = reader.bytes();
                            break;
                        }
                        case 3: {
                            obj.deleted = reader.bool();
                            break;
                        }
                        case 4: {
                            obj.wall = reader.uint64Number();
                            break;
                        }
                        case 5: {
                            obj.counter = reader.uint32();
                            break;
                        }
                        case 6: {
                            obj.node = reader.string();
                            break;
                        }
                        default: {
                            reader.skipType(tag & 7);
                            break;
                        }
                    }
                }
                return obj;
            }, function* (reader, length, prefix, opts = {}) {
                const end = length == null ? reader.len : reader.pos + length;
                while (reader.pos < end) {
                    const tag = reader.uint32();
                    switch (tag >>> 3) {
                        case 1: {
                            yield {
                                field: `${prefix}.key`,
                                value: reader.string()
                            };
                            break;
                        }
                        case 2: {
                            yield {
                                field: `${prefix}.value`,
                                value: reader.bytes()
                            };
                            break;
                        }
                        case 3: {
                            yield {
                                field: `${prefix}.deleted`,
                                value: reader.bool()
                            };
                            break;
                        }
                        case 4: {
                            yield {
                                field: `${prefix}.wall`,
                                value: reader.uint64Number()
                            };
                            break;
                        }
                        case 5: {
                            yield {
                                field: `${prefix}.counter`,
                                value: reader.uint32()
                            };
                            break;
                        }
                        case 6: {
                            yield {
                                field: `${prefix}.node`,
                                value: reader.string()
                            };
                            break;
                        }
                        default: {
                            reader.skipType(tag & 7);
                            break;
                        }
                    }
                }
            });
        }
        return _codec;
    };
    function encode(obj) {
        return encodeMessage(obj, Entry.codec());
    }
    Entry.encode = encode;
    function decode(buf, opts) {
        return decodeMessage(buf, Entry.codec(), opts);
    }
    Entry.decode = decode;
    function stream(buf, opts) {
        return streamMessage(buf, Entry.codec(), opts);
    }
    Entry.stream = stream;
})(Entry || (Entry = {}));
export var Version;
(function (Version) {
    let _codec;
    Version.codec = () => {
        if (_codec == null) {
            _codec = message((obj, w, opts = {}) => {
                if (opts.lengthDelimited !== false) {
                    w.fork();
                }
                if ((obj.key != null && obj.key !== '')) {
                    w.uint32(10);
                    w.string(obj.key);
                }
                if ((obj.wall != null && obj.wall !== 0)) {
                    w.uint32(16);
                    w.uint64Number(obj.wall);
                }
                if ((obj.counter != null && obj.counter !== 0)) {
                    w.uint32(24);
                    w.uint32(obj.counter);
                }
                if ((obj.node != null && obj.node !== '')) {
                    w.uint32(34);
                    w.string(obj.node);
                }
                if ((obj.hash != null && obj.hash.byteLength > 0)) {
                    w.uint32(42);
                    w.bytes(obj.hash);
                }
                if (opts.lengthDelimited !== false) {
                    w.ldelim();
                }
            }, (reader, length, opts = {}) => {
                const obj = {
                    key: '',
                    wall: 0,
                    counter: 0,
                    node: '',
                    hash: uint8ArrayAlloc(0)
                };
                const end = length == null ? reader.len : reader.pos + length;
                while (reader.pos < end) {
                    const tag = reader.uint32();
                    switch (tag >>> 3) {
                        case 1: {
                            obj.key = reader.string();
                            break;
                        }
                        case 2: {
                            obj.wall = reader.uint64Number();
                            break;
                        }
                        case 3: {
                            obj.counter = reader.uint32();
                            break;
                        }
                        case 4: {
                            obj.node = reader.string();
                            break;
                        }
                        case 5: {
                            obj.hash = reader.bytes();
                            break;
                        }
                        default: {
                            reader.skipType(tag & 7);
                            break;
                        }
                    }
                }
                return obj;
            }, function* (reader, length, prefix, opts = {}) {
                const end = length == null ? reader.len : reader.pos + length;
                while (reader.pos < end) {
                    const tag = reader.uint32();
                    switch (tag >>> 3) {
                        case 1: {
                            yield {
                                field: `${prefix}.key`,
                                value: reader.string()
                            };
                            break;
                        }
                        case 2: {
                            yield {
                                field: `${prefix}.wall`,
                                value: reader.uint64Number()
                            };
                            break;
                        }
                        case 3: {
                            yield {
                                field: `${prefix}.counter`,
                                value: reader.uint32()
                            };
                            break;
                        }
                        case 4: {
                            yield {
                                field: `${prefix}.node`,
                                value: reader.string()
                            };
                            break;
                        }
                        case 5: {
                            yield {
                                field: `${prefix}.hash`,
                                value: reader.bytes()
                            };
                            break;
                        }
                        default: {
                            reader.skipType(tag & 7);
                            break;
                        }
                    }
                }
            });
        }
        return _codec;
    };
    function encode(obj) {
        return encodeMessage(obj, Version.codec());
    }
    Version.encode = encode;
    function decode(buf, opts) {
        return decodeMessage(buf, Version.codec(), opts);
    }
    Version.decode = decode;
    function stream(buf, opts) {
        return streamMessage(buf, Version.codec(), opts);
    }
    Version.stream = stream;
})(Version || (Version = {}));
export var Push;
(function (Push) {
    let _codec;
    Push.codec = () => {
        if (_codec == null) {
            _codec = message((obj, w, opts = {}) => {
                if (opts.lengthDelimited !== false) {
                    w.fork();
                }
                if (obj.entries != null && obj.entries.length > 0) {
                    for (const value of obj.entries) {
                        w.uint32(10);
                        Entry.codec().encode(value, w);
                    }
                }
                if (opts.lengthDelimited !== false) {
                    w.ldelim();
                }
            }, (reader, length, opts = {}) => {
                const obj = {
                    entries: []
                };
                const end = length == null ? reader.len : reader.pos + length;
                while (reader.pos < end) {
                    const tag = reader.uint32();
                    switch (tag >>> 3) {
                        case 1: {
                            if (opts.limits?.entries != null && obj.entries.length === opts.limits.entries) {
                                throw new MaxLengthError('Decode error - repeated field "entries" had too many elements');
                            }
                            obj.entries.push(Entry.codec().decode(reader, reader.uint32(), {
                                limits: opts.limits?.entries$
                            }));
                            break;
                        }
                        default: {
                            reader.skipType(tag & 7);
                            break;
                        }
                    }
                }
                return obj;
            }, function* (reader, length, prefix, opts = {}) {
                const obj = {
                    entries: 0
                };
                const end = length == null ? reader.len : reader.pos + length;
                while (reader.pos < end) {
                    const tag = reader.uint32();
                    switch (tag >>> 3) {
                        case 1: {
                            if (opts.limits?.entries != null && obj.entries === opts.limits.entries) {
                                throw new MaxLengthError('Streaming decode error - repeated field "entries" had too many elements');
                            }
                            for (const evt of Entry.codec().stream(reader, reader.uint32(), `${prefix}.entries[]`, {
                                limits: opts.limits?.entries$
                            })) {
                                yield {
                                    ...evt,
                                    index: obj.entries
                                };
                            }
                            obj.entries++;
                            break;
                        }
                        default: {
                            reader.skipType(tag & 7);
                            break;
                        }
                    }
                }
            });
        }
        return _codec;
    };
    function encode(obj) {
        return encodeMessage(obj, Push.codec());
    }
    Push.encode = encode;
    function decode(buf, opts) {
        return decodeMessage(buf, Push.codec(), opts);
    }
    Push.decode = decode;
    function stream(buf, opts) {
        return streamMessage(buf, Push.codec(), opts);
    }
    Push.stream = stream;
})(Push || (Push = {}));
export var Digest;
(function (Digest) {
    let _codec;
    Digest.codec = () => {
        if (_codec == null) {
            _codec = message((obj, w, opts = {}) => {
                if (opts.lengthDelimited !== false) {
                    w.fork();
                }
                if (obj.buckets != null && obj.buckets.length > 0) {
                    for (const value of obj.buckets) {
                        w.uint32(10);
                        w.bytes(value);
                    }
                }
                if (opts.lengthDelimited !== false) {
                    w.ldelim();
                }
            }, (reader, length, opts = {}) => {
                const obj = {
                    buckets: []
                };
                const end = length == null ? reader.len : reader.pos + length;
                while (reader.pos < end) {
                    const tag = reader.uint32();
                    switch (tag >>> 3) {
                        case 1: {
                            if (opts.limits?.buckets != null && obj.buckets.length === opts.limits.buckets) {
                                throw new MaxLengthError('Decode error - repeated field "buckets" had too many elements');
                            }
                            obj.buckets.push(reader.bytes());
                            break;
                        }
                        default: {
                            reader.skipType(tag & 7);
                            break;
                        }
                    }
                }
                return obj;
            }, function* (reader, length, prefix, opts = {}) {
                const obj = {
                    buckets: 0
                };
                const end = length == null ? reader.len : reader.pos + length;
                while (reader.pos < end) {
                    const tag = reader.uint32();
                    switch (tag >>> 3) {
                        case 1: {
                            if (opts.limits?.buckets != null && obj.buckets === opts.limits.buckets) {
                                throw new MaxLengthError('Streaming decode error - repeated field "buckets" had too many elements');
                            }
                            yield {
                                field: `${prefix}.buckets[]`,
                                index: obj.buckets,
                                value: reader.bytes()
                            };
                            obj.buckets++;
                            break;
                        }
                        default: {
                            reader.skipType(tag & 7);
                            break;
                        }
                    }
                }
            });
        }
        return _codec;
    };
    function encode(obj) {
        return encodeMessage(obj, Digest.codec());
    }
    Digest.encode = encode;
    function decode(buf, opts) {
        return decodeMessage(buf, Digest.codec(), opts);
    }
    Digest.decode = decode;
    function stream(buf, opts) {
        return streamMessage(buf, Digest.codec(), opts);
    }
    Digest.stream = stream;
})(Digest || (Digest = {}));
export var Versions;
(function (Versions) {
    let _codec;
    Versions.codec = () => {
        if (_codec == null) {
            _codec = message((obj, w, opts = {}) => {
                if (opts.lengthDelimited !== false) {
                    w.fork();
                }
                if (obj.buckets != null && obj.buckets.length > 0) {
                    for (const value of obj.buckets) {
                        w.uint32(8);
                        w.uint32(value);
                    }
                }
                if (obj.versions != null && obj.versions.length > 0) {
                    for (const value of obj.versions) {
                        w.uint32(18);
                        Version.codec().encode(value, w);
                    }
                }
                if ((obj.truncated != null && obj.truncated !== false)) {
                    w.uint32(24);
                    w.bool(obj.truncated);
                }
                if (opts.lengthDelimited !== false) {
                    w.ldelim();
                }
            }, (reader, length, opts = {}) => {
                const obj = {
                    buckets: [],
                    versions: [],
                    truncated: false
                };
                const end = length == null ? reader.len : reader.pos + length;
                while (reader.pos < end) {
                    const tag = reader.uint32();
                    switch (tag >>> 3) {
                        case 1: {
                            if (opts.limits?.buckets != null && obj.buckets.length === opts.limits.buckets) {
                                throw new MaxLengthError('Decode error - repeated field "buckets" had too many elements');
                            }
                            obj.buckets.push(reader.uint32());
                            break;
                        }
                        case 2: {
                            if (opts.limits?.versions != null && obj.versions.length === opts.limits.versions) {
                                throw new MaxLengthError('Decode error - repeated field "versions" had too many elements');
                            }
                            obj.versions.push(Version.codec().decode(reader, reader.uint32(), {
                                limits: opts.limits?.versions$
                            }));
                            break;
                        }
                        case 3: {
                            obj.truncated = reader.bool();
                            break;
                        }
                        default: {
                            reader.skipType(tag & 7);
                            break;
                        }
                    }
                }
                return obj;
            }, function* (reader, length, prefix, opts = {}) {
                const obj = {
                    buckets: 0,
                    versions: 0
                };
                const end = length == null ? reader.len : reader.pos + length;
                while (reader.pos < end) {
                    const tag = reader.uint32();
                    switch (tag >>> 3) {
                        case 1: {
                            if (opts.limits?.buckets != null && obj.buckets === opts.limits.buckets) {
                                throw new MaxLengthError('Streaming decode error - repeated field "buckets" had too many elements');
                            }
                            yield {
                                field: `${prefix}.buckets[]`,
                                index: obj.buckets,
                                value: reader.uint32()
                            };
                            obj.buckets++;
                            break;
                        }
                        case 2: {
                            if (opts.limits?.versions != null && obj.versions === opts.limits.versions) {
                                throw new MaxLengthError('Streaming decode error - repeated field "versions" had too many elements');
                            }
                            for (const evt of Version.codec().stream(reader, reader.uint32(), `${prefix}.versions[]`, {
                                limits: opts.limits?.versions$
                            })) {
                                yield {
                                    ...evt,
                                    index: obj.versions
                                };
                            }
                            obj.versions++;
                            break;
                        }
                        case 3: {
                            yield {
                                field: `${prefix}.truncated`,
                                value: reader.bool()
                            };
                            break;
                        }
                        default: {
                            reader.skipType(tag & 7);
                            break;
                        }
                    }
                }
            });
        }
        return _codec;
    };
    function encode(obj) {
        return encodeMessage(obj, Versions.codec());
    }
    Versions.encode = encode;
    function decode(buf, opts) {
        return decodeMessage(buf, Versions.codec(), opts);
    }
    Versions.decode = decode;
    function stream(buf, opts) {
        return streamMessage(buf, Versions.codec(), opts);
    }
    Versions.stream = stream;
})(Versions || (Versions = {}));
export var Exchange;
(function (Exchange) {
    let _codec;
    Exchange.codec = () => {
        if (_codec == null) {
            _codec = message((obj, w, opts = {}) => {
                if (opts.lengthDelimited !== false) {
                    w.fork();
                }
                if (obj.entries != null && obj.entries.length > 0) {
                    for (const value of obj.entries) {
                        w.uint32(10);
                        Entry.codec().encode(value, w);
                    }
                }
                if (obj.want != null && obj.want.length > 0) {
                    for (const value of obj.want) {
                        w.uint32(18);
                        w.string(value);
                    }
                }
                if (opts.lengthDelimited !== false) {
                    w.ldelim();
                }
            }, (reader, length, opts = {}) => {
                const obj = {
                    entries: [],
                    want: []
                };
                const end = length == null ? reader.len : reader.pos + length;
                while (reader.pos < end) {
                    const tag = reader.uint32();
                    switch (tag >>> 3) {
                        case 1: {
                            if (opts.limits?.entries != null && obj.entries.length === opts.limits.entries) {
                                throw new MaxLengthError('Decode error - repeated field "entries" had too many elements');
                            }
                            obj.entries.push(Entry.codec().decode(reader, reader.uint32(), {
                                limits: opts.limits?.entries$
                            }));
                            break;
                        }
                        case 2: {
                            if (opts.limits?.want != null && obj.want.length === opts.limits.want) {
                                throw new MaxLengthError('Decode error - repeated field "want" had too many elements');
                            }
                            obj.want.push(reader.string());
                            break;
                        }
                        default: {
                            reader.skipType(tag & 7);
                            break;
                        }
                    }
                }
                return obj;
            }, function* (reader, length, prefix, opts = {}) {
                const obj = {
                    entries: 0,
                    want: 0
                };
                const end = length == null ? reader.len : reader.pos + length;
                while (reader.pos < end) {
                    const tag = reader.uint32();
                    switch (tag >>> 3) {
                        case 1: {
                            if (opts.limits?.entries != null && obj.entries === opts.limits.entries) {
                                throw new MaxLengthError('Streaming decode error - repeated field "entries" had too many elements');
                            }
                            for (const evt of Entry.codec().stream(reader, reader.uint32(), `${prefix}.entries[]`, {
                                limits: opts.limits?.entries$
                            })) {
                                yield {
                                    ...evt,
                                    index: obj.entries
                                };
                            }
                            obj.entries++;
                            break;
                        }
                        case 2: {
                            if (opts.limits?.want != null && obj.want === opts.limits.want) {
                                throw new MaxLengthError('Streaming decode error - repeated field "want" had too many elements');
                            }
                            yield {
                                field: `${prefix}.want[]`,
                                index: obj.want,
                                value: reader.string()
                            };
                            obj.want++;
                            break;
                        }
                        default: {
                            reader.skipType(tag & 7);
                            break;
                        }
                    }
                }
            });
        }
        return _codec;
    };
    function encode(obj) {
        return encodeMessage(obj, Exchange.codec());
    }
    Exchange.encode = encode;
    function decode(buf, opts) {
        return decodeMessage(buf, Exchange.codec(), opts);
    }
    Exchange.decode = decode;
    function stream(buf, opts) {
        return streamMessage(buf, Exchange.codec(), opts);
    }
    Exchange.stream = stream;
})(Exchange || (Exchange = {}));
export var Entries;
(function (Entries) {
    let _codec;
    Entries.codec = () => {
        if (_codec == null) {
            _codec = message((obj, w, opts = {}) => {
                if (opts.lengthDelimited !== false) {
                    w.fork();
                }
                if (obj.entries != null && obj.entries.length > 0) {
                    for (const value of obj.entries) {
                        w.uint32(10);
                        Entry.codec().encode(value, w);
                    }
                }
                if (opts.lengthDelimited !== false) {
                    w.ldelim();
                }
            }, (reader, length, opts = {}) => {
                const obj = {
                    entries: []
                };
                const end = length == null ? reader.len : reader.pos + length;
                while (reader.pos < end) {
                    const tag = reader.uint32();
                    switch (tag >>> 3) {
                        case 1: {
                            if (opts.limits?.entries != null && obj.entries.length === opts.limits.entries) {
                                throw new MaxLengthError('Decode error - repeated field "entries" had too many elements');
                            }
                            obj.entries.push(Entry.codec().decode(reader, reader.uint32(), {
                                limits: opts.limits?.entries$
                            }));
                            break;
                        }
                        default: {
                            reader.skipType(tag & 7);
                            break;
                        }
                    }
                }
                return obj;
            }, function* (reader, length, prefix, opts = {}) {
                const obj = {
                    entries: 0
                };
                const end = length == null ? reader.len : reader.pos + length;
                while (reader.pos < end) {
                    const tag = reader.uint32();
                    switch (tag >>> 3) {
                        case 1: {
                            if (opts.limits?.entries != null && obj.entries === opts.limits.entries) {
                                throw new MaxLengthError('Streaming decode error - repeated field "entries" had too many elements');
                            }
                            for (const evt of Entry.codec().stream(reader, reader.uint32(), `${prefix}.entries[]`, {
                                limits: opts.limits?.entries$
                            })) {
                                yield {
                                    ...evt,
                                    index: obj.entries
                                };
                            }
                            obj.entries++;
                            break;
                        }
                        default: {
                            reader.skipType(tag & 7);
                            break;
                        }
                    }
                }
            });
        }
        return _codec;
    };
    function encode(obj) {
        return encodeMessage(obj, Entries.codec());
    }
    Entries.encode = encode;
    function decode(buf, opts) {
        return decodeMessage(buf, Entries.codec(), opts);
    }
    Entries.decode = decode;
    function stream(buf, opts) {
        return streamMessage(buf, Entries.codec(), opts);
    }
    Entries.stream = stream;
})(Entries || (Entries = {}));
export var KvFrame;
(function (KvFrame) {
    let _codec;
    KvFrame.codec = () => {
        if (_codec == null) {
            _codec = message((obj, w, opts = {}) => {
                if (opts.lengthDelimited !== false) {
                    w.fork();
                }
                if (obj.push != null) {
                    w.uint32(10);
                    Push.codec().encode(obj.push, w);
                }
                if (obj.digest != null) {
                    w.uint32(18);
                    Digest.codec().encode(obj.digest, w);
                }
                if (obj.versions != null) {
                    w.uint32(26);
                    Versions.codec().encode(obj.versions, w);
                }
                if (obj.exchange != null) {
                    w.uint32(34);
                    Exchange.codec().encode(obj.exchange, w);
                }
                if (obj.entries != null) {
                    w.uint32(42);
                    Entries.codec().encode(obj.entries, w);
                }
                if (opts.lengthDelimited !== false) {
                    w.ldelim();
                }
            }, (reader, length, opts = {}) => {
                const obj = {};
                const end = length == null ? reader.len : reader.pos + length;
                while (reader.pos < end) {
                    const tag = reader.uint32();
                    switch (tag >>> 3) {
                        case 1: {
                            obj.push = Push.codec().decode(reader, reader.uint32(), {
                                limits: opts.limits?.push
                            });
                            break;
                        }
                        case 2: {
                            obj.digest = Digest.codec().decode(reader, reader.uint32(), {
                                limits: opts.limits?.digest
                            });
                            break;
                        }
                        case 3: {
                            obj.versions = Versions.codec().decode(reader, reader.uint32(), {
                                limits: opts.limits?.versions
                            });
                            break;
                        }
                        case 4: {
                            obj.exchange = Exchange.codec().decode(reader, reader.uint32(), {
                                limits: opts.limits?.exchange
                            });
                            break;
                        }
                        case 5: {
                            obj.entries = Entries.codec().decode(reader, reader.uint32(), {
                                limits: opts.limits?.entries
                            });
                            break;
                        }
                        default: {
                            reader.skipType(tag & 7);
                            break;
                        }
                    }
                }
                return obj;
            }, function* (reader, length, prefix, opts = {}) {
                const end = length == null ? reader.len : reader.pos + length;
                while (reader.pos < end) {
                    const tag = reader.uint32();
                    switch (tag >>> 3) {
                        case 1: {
                            yield* Push.codec().stream(reader, reader.uint32(), `${prefix}.push`, {
                                limits: opts.limits?.push
                            });
                            break;
                        }
                        case 2: {
                            yield* Digest.codec().stream(reader, reader.uint32(), `${prefix}.digest`, {
                                limits: opts.limits?.digest
                            });
                            break;
                        }
                        case 3: {
                            yield* Versions.codec().stream(reader, reader.uint32(), `${prefix}.versions`, {
                                limits: opts.limits?.versions
                            });
                            break;
                        }
                        case 4: {
                            yield* Exchange.codec().stream(reader, reader.uint32(), `${prefix}.exchange`, {
                                limits: opts.limits?.exchange
                            });
                            break;
                        }
                        case 5: {
                            yield* Entries.codec().stream(reader, reader.uint32(), `${prefix}.entries`, {
                                limits: opts.limits?.entries
                            });
                            break;
                        }
                        default: {
                            reader.skipType(tag & 7);
                            break;
                        }
                    }
                }
            });
        }
        return _codec;
    };
    function encode(obj) {
        return encodeMessage(obj, KvFrame.codec());
    }
    KvFrame.encode = encode;
    function decode(buf, opts) {
        return decodeMessage(buf, KvFrame.codec(), opts);
    }
    KvFrame.decode = decode;
    function stream(buf, opts) {
        return streamMessage(buf, KvFrame.codec(), opts);
    }
    KvFrame.stream = stream;
})(KvFrame || (KvFrame = {}));
