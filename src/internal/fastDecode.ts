/**
 * A faster way to run an Effect Schema decoder on the hot path (every stream event, every
 * listed message). Effect's `ParseResult` interpreter builds an `Either` and error
 * bookkeeping at every node; this compiles a schema's AST once into plain closures that do
 * the same checks and transformations and return a sentinel on the first mismatch. Only
 * then does Effect's own decoder run, to produce the exact `ParseError`.
 *
 * It mirrors `ParseResult`'s decoding semantics node by node (default parse options:
 * first error, excess properties ignored): struct properties and index signatures, the
 * union candidate search on literal discriminators, refinements, final / compose /
 * struct transformations, declarations. Any node it does not handle, or whose
 * transformation is not synchronous, is decoded by Effect itself, so the result is always
 * Effect's result; a test checks the two agree on valid and corrupted inputs of every
 * schema.
 */
import { Either, Option, ParseResult, Schema, SchemaAST as AST } from "effect"

const FAIL: unique symbol = Symbol("effect-letta/fastDecode/FAIL")
type Decoder = (input: unknown) => unknown

/**
 * An annotation for a schema whose whole decoding (encoded side, transformation and type
 * side) can be done by one synchronous function: the compiler uses it instead. The function
 * returns the decoded value, or `FAIL` where Effect's decoder would fail. Only for schemas
 * whose transformation is our own, so both are written side by side (see `LettaDate`), and
 * the equivalence test covers it.
 */
export const FastDecodeAnnotationId: unique symbol = Symbol.for("effect-letta/FastDecode")

/**
 * Nodes that only check their input and return it unchanged (literals, keywords, their
 * unions and refinements) also carry that check as a boolean test, so a union of them
 * (every optional or nullable field) is one combined test instead of a loop of calls.
 */
const checks = new WeakMap<Decoder, (u: unknown) => boolean>()

const options: AST.ParseOptions = {}
const hasOwn = (u: object, key: PropertyKey) => Object.prototype.hasOwnProperty.call(u, key)
const isRecordOrArray = (u: unknown): u is Record<PropertyKey, unknown> => typeof u === "object" && u !== null

/** Decodes one node with Effect itself (nodes this module does not compile). */
const viaEffect = (ast: AST.AST): Decoder => {
  const decode = ParseResult.decodeUnknownEither(Schema.make(ast))
  return (input) => {
    const result = decode(input)
    return Either.isRight(result) ? result.right : FAIL
  }
}

/** The result of a transformation or declaration: synchronous ones are `Either`s. */
const settle = (result: unknown): unknown => {
  if (Either.isEither(result)) return Either.isRight(result) ? result.right : FAIL
  return undefined
}

const predicate = (test: (u: unknown) => boolean): Decoder => {
  const decoder: Decoder = (input) => (test(input) ? input : FAIL)
  checks.set(decoder, test)
  return decoder
}

/** The required literal-valued properties of a union member, as `ParseResult` finds them. */
const literalsOf = (ast: AST.AST): Array<readonly [PropertyKey, AST.Literal]> => {
  switch (ast._tag) {
    case "Declaration": {
      const surrogate = AST.getSurrogateAnnotation(ast)
      return Option.isSome(surrogate) ? literalsOf(surrogate.value) : []
    }
    case "TypeLiteral":
      return ast.propertySignatures.flatMap((ps) => {
        const type = AST.encodedAST(ps.type)
        return AST.isLiteral(type) && !ps.isOptional ? [[ps.name, type] as const] : []
      })
    case "TupleType":
      return ast.elements.flatMap((e, i) => {
        const type = AST.encodedAST(e.type)
        return AST.isLiteral(type) && !e.isOptional ? [[i, type] as const] : []
      })
    case "Refinement":
      return literalsOf(ast.from)
    case "Suspend":
      return literalsOf(ast.f())
    case "Transformation":
      return literalsOf(ast.from)
    default:
      return []
  }
}

/** `Reflect.ownKeys` order: integer-like keys first (ascending), then strings, then symbols. */
const ownKeyRank = (key: PropertyKey): number =>
  typeof key === "symbol" ? 2 : /^(0|[1-9]\d*)$/.test(key as string) ? 0 : 1

/**
 * Whether this runtime can build functions from source (a Content-Security-Policy or a
 * worker runtime may forbid it); without it structs use the closure decoder alone.
 */
const canGenerate: boolean = (() => {
  try {
    return new Function("return true")() === true
  } catch {
    return false
  }
})()

/**
 * Short strings (ids, types, statuses) longer than this are not shared: see `generateStruct`.
 */
const maxSharedLength = 64

/**
 * A struct decoder written out for its property names. Reading `input.name` at a site of
 * its own and returning one object literal lets the engine keep each message type's shape
 * (one hidden class, properties in the object) instead of the generic keyed reads and
 * writes of the closure decoder: about 2.5 times faster on stream events. Only names go
 * into the source, as JSON string literals; checks and decoders are passed in.
 *
 * A short string equal to the one the same property had in the previous value is replaced
 * by that one. `JSON.parse` makes a new copy of every id in every event (a stream's events
 * share their message, step and run ids and their type); sharing them lets the copies die
 * at once, so the messages a stream or a caller holds cost a fraction of the memory.
 */
const generateStruct = (
  names: ReadonlyArray<string>,
  optional: ReadonlyArray<boolean>,
  tests: ReadonlyArray<((u: unknown) => boolean) | undefined>,
  decoders: ReadonlyArray<Decoder>
): Decoder => {
  const key = (i: number) => JSON.stringify(names[i])
  const body: Array<string> = [
    ...names.map((_, i) => `let c${i}`),
    "return function decodeStruct(input) {",
    "if (typeof input !== 'object' || input === null || Array.isArray(input)) return FAIL"
  ]
  names.forEach((_, i) => {
    const read = tests[i] !== undefined
      ? `v${i} = input[${key(i)}]; if (!t${i}(v${i})) return FAIL; ` +
        `if (typeof v${i} === "string" && v${i}.length <= ${maxSharedLength}) { ` +
        `if (v${i} === c${i}) v${i} = c${i}; else c${i} = v${i} }`
      : `v${i} = d${i}(input[${key(i)}]); if (v${i} === FAIL) return FAIL`
    body.push(
      optional[i]
        ? `const p${i} = hasOwn(input, ${key(i)}); let v${i}; if (p${i}) { ${read} }`
        : `let v${i}; ${read}`
    )
  })
  const absent = names.flatMap((_, i) => (optional[i] ? [`!p${i}`] : []))
  if (absent.length > 0) {
    // Some optional property is missing: the output has only the ones present, in order.
    body.push(`if (${absent.join(" || ")}) {`, "const out = {}")
    names.forEach((_, i) => body.push(`${optional[i] ? `if (p${i}) ` : ""}out[${key(i)}] = v${i}`))
    body.push("return out", "}")
  }
  body.push(`return { ${names.map((_, i) => `${key(i)}: v${i}`).join(", ")} }`, "}")
  const parameters = ["FAIL", "hasOwn", ...names.map((_, i) => `t${i}`), ...names.map((_, i) => `d${i}`)]
  return new Function(...parameters, body.join("\n"))(FAIL, hasOwn, ...tests, ...decoders) as Decoder
}

/**
 * A compiler: `generate` says whether struct decoders may be generated source (the default
 * where the runtime allows it) or closures only (for runtimes that forbid it, and tests).
 */
const makeCompiler = (generate: boolean): (ast: AST.AST) => Decoder => {
  const compileUnion = (ast: AST.Union): Decoder => {
    // The same buckets as `ParseResult.getSearchTree`: each member goes under the first of its
    // literal properties whose value has no bucket yet (or its last one).
    const keys = new Map<PropertyKey, Map<string, Array<AST.AST>>>()
    const otherwise: Array<AST.AST> = []
    for (const member of ast.types) {
      const tags = literalsOf(member)
      if (tags.length === 0) {
        otherwise.push(member)
        continue
      }
      for (let j = 0; j < tags.length; j++) {
        const [key, literal] = tags[j]
        const hash = String(literal.literal)
        let buckets = keys.get(key)
        if (buckets === undefined) {
          buckets = new Map()
          keys.set(key, buckets)
        }
        const bucket = buckets.get(hash)
        if (bucket !== undefined) {
          if (j < tags.length - 1) continue
          bucket.push(member)
        } else {
          buckets.set(hash, [member])
          break
        }
      }
    }
    const decoders = new Map(ast.types.map((member) => [member, compile(member)] as const))
    // A union of pure checks is itself a pure check; member order cannot change the result.
    const tests = ast.types.map((member) => checks.get(decoders.get(member)!))
    if (tests.every((test) => test !== undefined)) {
      const all = tests as Array<(u: unknown) => boolean>
      if (all.length === 2) {
        const [a, b] = all
        return predicate((u) => a(u) || b(u))
      }
      if (all.length === 3) {
        const [a, b, c] = all
        return predicate((u) => a(u) || b(u) || c(u))
      }
      return predicate((u) => all.some((test) => test(u)))
    }
    const keyList = [...keys.keys()].sort((a, b) => ownKeyRank(a) - ownKeyRank(b))
    const otherwiseDecoders = otherwise.map((member) => decoders.get(member)!)
    const bucketDecoders = new Map(
      keyList.map((key) => [key, new Map([...keys.get(key)!].map(([hash, members]) => [hash, members.map((m) => decoders.get(m)!)]))])
    )
    return (input) => {
      if (keyList.length > 0 && isRecordOrArray(input)) {
        for (const key of keyList) {
          if (!hasOwn(input, key)) continue
          const value = input[key]
          // Only a primitive can equal a literal. `String` of anything else can throw: a deeply
          // nested array recurses without end, `{"toString": 1}` cannot be converted at all.
          if (typeof value === "object" && value !== null) continue
          const bucket = bucketDecoders.get(key)!.get(String(value))
          if (bucket === undefined) continue
          for (const decode of bucket) {
            const out = decode(input)
            if (out !== FAIL) return out
          }
        }
      }
      for (const decode of otherwiseDecoders) {
        const out = decode(input)
        if (out !== FAIL) return out
      }
      return FAIL
    }
  }

  const compileTypeLiteral = (ast: AST.TypeLiteral): Decoder => {
    if (ast.propertySignatures.length === 0 && ast.indexSignatures.length === 0) {
      return predicate((u) => u !== null && u !== undefined)
    }
    for (const signature of ast.indexSignatures) {
      let parameter: AST.AST = signature.parameter
      while (parameter._tag === "Refinement") parameter = parameter.from
      // Symbol keys are never in JSON; any other key type is left to Effect.
      if (parameter._tag !== "StringKeyword" && parameter._tag !== "TemplateLiteral") return viaEffect(ast)
    }
    const names = ast.propertySignatures.map((ps) => ps.name)
    const optional = ast.propertySignatures.map((ps) => ps.isOptional)
    const decoders = ast.propertySignatures.map((ps) => compile(ps.type))
    const tests = decoders.map((decoder) => checks.get(decoder))
    if (generate && ast.indexSignatures.length === 0 && names.every((name) => typeof name === "string")) {
      return generateStruct(names as Array<string>, optional, tests, decoders)
    }
    const count = names.length
    const expected = new Set<PropertyKey>(names)
    const indexes = ast.indexSignatures.map((is) => ({ key: compile(is.parameter), value: compile(is.type) }))
    return (input) => {
      if (!isRecordOrArray(input) || Array.isArray(input)) return FAIL
      const out: Record<PropertyKey, unknown> = {}
      for (let i = 0; i < count; i++) {
        const name = names[i]
        if (optional[i] && !hasOwn(input, name)) continue
        const raw = input[name]
        // A pure check keeps the value as it is: no call through the decoder.
        const test = tests[i]
        if (test !== undefined) {
          if (!test(raw)) return FAIL
          out[name] = raw
          continue
        }
        const value = decoders[i](raw)
        if (value === FAIL) return FAIL
        out[name] = value
      }
      for (const index of indexes) {
        for (const key of Object.keys(input)) {
          if (index.key(key) === FAIL) continue
          const value = index.value(input[key])
          if (value === FAIL) return FAIL
          if (!expected.has(key)) out[key] = value
        }
      }
      return out
    }
  }

  const compileTuple = (ast: AST.TupleType): Decoder => {
    // Arrays (`Schema.Array`): no fixed elements, one rest type. Other tuples go to Effect.
    if (ast.elements.length !== 0 || ast.rest.length !== 1) return viaEffect(ast)
    const item = compile(ast.rest[0].type)
    return (input) => {
      if (!Array.isArray(input)) return FAIL
      const out = new Array(input.length)
      for (let i = 0; i < input.length; i++) {
        const value = item(input[i])
        if (value === FAIL) return FAIL
        out[i] = value
      }
      return out
    }
  }

  const compileTransformation = (ast: AST.Transformation): Decoder => {
    const from = compile(ast.from)
    const to = compile(ast.to)
    const slow = viaEffect(ast)
    const kind = ast.transformation
    switch (kind._tag) {
      case "ComposeTransformation":
        return (input) => {
          const a = from(input)
          return a === FAIL ? FAIL : to(a)
        }
      case "FinalTransformation":
        return (input) => {
          const a = from(input)
          if (a === FAIL) return FAIL
          const b = settle(kind.decode(a, options, ast, input))
          // An effectful (not synchronous) transformation: let Effect run it.
          if (b === undefined) return slow(input)
          return b === FAIL ? FAIL : to(b)
        }
      case "TypeLiteralTransformation":
        return (input) => {
          const a = from(input)
          if (a === FAIL) return FAIL
          // `from` returned a fresh object, so it can be rewritten in place like Effect does.
          const record = a as Record<PropertyKey, unknown>
          for (const pst of kind.propertySignatureTransformations) {
            const o = pst.decode(hasOwn(record, pst.from) ? Option.some(record[pst.from]) : Option.none())
            delete record[pst.from]
            if (Option.isSome(o)) record[pst.to] = o.value
          }
          return to(record)
        }
    }
  }

  const build = (ast: AST.AST): Decoder => {
    const fastDecode = ast.annotations[FastDecodeAnnotationId]
    if (typeof fastDecode === "function") return fastDecode as Decoder
    // Annotations that change how Effect parses a node: leave such nodes to Effect.
    if (Option.isSome(AST.getParseOptionsAnnotation(ast)) || Option.isSome(AST.getDecodingFallbackAnnotation(ast))) {
      return viaEffect(ast)
    }
    switch (ast._tag) {
      case "Literal":
        return predicate((u) => u === ast.literal)
      case "UndefinedKeyword":
        return predicate((u) => u === undefined)
      case "NeverKeyword":
        return () => FAIL
      case "UnknownKeyword":
      case "AnyKeyword":
      case "VoidKeyword":
        return (input) => input
      case "StringKeyword":
        return predicate((u) => typeof u === "string")
      case "NumberKeyword":
        return predicate((u) => typeof u === "number")
      case "BooleanKeyword":
        return predicate((u) => typeof u === "boolean")
      case "Declaration": {
        const parse = ast.decodeUnknown(...ast.typeParameters)
        const slow = viaEffect(ast)
        return (input) => {
          const out = settle(parse(input, options, ast))
          return out === undefined ? slow(input) : out
        }
      }
      case "Refinement": {
        const from = compile(ast.from)
        const fromTest = checks.get(from)
        if (fromTest !== undefined) return predicate((u) => fromTest(u) && Option.isNone(ast.filter(u, options, ast)))
        return (input) => {
          const a = from(input)
          return a === FAIL || Option.isSome(ast.filter(a, options, ast)) ? FAIL : a
        }
      }
      case "Transformation":
        return compileTransformation(ast)
      case "TypeLiteral":
        return compileTypeLiteral(ast)
      case "TupleType":
        return compileTuple(ast)
      case "Union":
        return compileUnion(ast)
      case "Suspend": {
        let inner: Decoder | undefined
        return (input) => (inner ??= compile(ast.f()))(input)
      }
      default:
        return viaEffect(ast)
    }
  }

  const compiled = new WeakMap<AST.AST, Decoder>()

  const compile = (ast: AST.AST): Decoder => {
    const known = compiled.get(ast)
    if (known !== undefined) return known
    // Registered before building, so a node that refers to itself finds this entry.
    let decoder: Decoder | undefined
    compiled.set(ast, (input) => decoder!(input))
    decoder = build(ast)
    compiled.set(ast, decoder)
    return decoder
  }
  return compile
}

const compile = makeCompiler(canGenerate)
let closuresOnly: ((ast: AST.AST) => Decoder) | undefined

/**
 * `Schema.decodeUnknownEither(schema, options)`, except that an input Effect's decoder
 * throws on is a `ParseError` like any other mismatch. Its union search converts a
 * discriminator to a string, which throws for `{"message_type": {"toString": 1}}` and
 * overflows the stack for a deeply nested array: server data must fail typed, not as a
 * defect.
 */
export const decodeUnknownEitherSafe = <A, I>(
  schema: Schema.Schema<A, I>,
  options?: AST.ParseOptions
): (input: unknown) => Either.Either<A, ParseResult.ParseError> => {
  const decode = Schema.decodeUnknownEither(schema, options)
  return (input) => {
    try {
      return decode(input)
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error)
      return Either.left(
        new ParseResult.ParseError({
          issue: new ParseResult.Type(schema.ast, input, `a value that cannot be read (${reason})`)
        })
      )
    }
  }
}

/**
 * `Schema.decodeUnknownEither(schema)` with the same results, faster on valid input. Both
 * use the default parse options.
 */
export const makeDecoder = <A, I>(
  schema: Schema.Schema<A, I>
): (input: unknown) => Either.Either<A, ParseResult.ParseError> => {
  const known = decoders.get(schema.ast)
  if (known !== undefined) return known as (input: unknown) => Either.Either<A, ParseResult.ParseError>
  const fast = compile(schema.ast)
  const exact = decodeUnknownEitherSafe(schema)
  const decoder = (input: unknown) => {
    let out: unknown
    try {
      out = fast(input)
    } catch {
      out = FAIL
    }
    return out === FAIL ? exact(input) : Either.right(out as A)
  }
  decoders.set(schema.ast, decoder)
  return decoder
}

const decoders = new WeakMap<AST.AST, (input: unknown) => Either.Either<unknown, ParseResult.ParseError>>()

/**
 * The fast path alone, for tests: `None` where it leaves the input to Effect. With
 * `generate: false`, the closure decoders used where generated source is not allowed.
 */
export const fastPathOf = <A, I>(
  schema: Schema.Schema<A, I>,
  options?: { readonly generate: boolean }
): (input: unknown) => Option.Option<A> => {
  const fast = options?.generate === false ? (closuresOnly ??= makeCompiler(false))(schema.ast) : compile(schema.ast)
  return (input) => {
    const out = fast(input)
    return out === FAIL ? Option.none() : Option.some(out as A)
  }
}

/** What {@link fastDecoderOf} returns when the fast path leaves an input to Effect. */
export const NoMatch: typeof FAIL = FAIL

/**
 * The fast path without the `Either` around its result, for the per-event hot path: the
 * decoded value, or {@link NoMatch} (then decode with `makeDecoder` for the exact result).
 */
export const fastDecoderOf = <A, I>(schema: Schema.Schema<A, I>): (input: unknown) => A | typeof NoMatch => {
  const fast = compile(schema.ast) as (input: unknown) => A | typeof NoMatch
  return (input) => {
    try {
      return fast(input)
    } catch {
      // Whatever the fast path cannot take, Effect's decoder (made safe) reports.
      return FAIL
    }
  }
}
