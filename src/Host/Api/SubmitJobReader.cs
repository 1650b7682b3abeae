using System.Buffers;
using System.Text.Json;
using Dpr.Actors.Jobs;
using Dpr.Fabric.Convolution;

namespace Dpr.Host.Api;

/// <summary>
/// The body of <c>POST /v1/jobs</c> read as it arrives, never whole in memory: the JSON by a
/// <see cref="Utf8JsonReader"/> over one buffer (64 KiB, doubled for a longer token up to 1 MiB), and
/// each tensor's <c>data</c>, however long, by a <see cref="Base64StringReader"/> that decodes it a chunk at
/// a time straight to where it lives (<see cref="DecodedTensor"/>): a small tensor into a byte array, an
/// input over <see cref="JobRequest.InlineLimit"/> into a <see cref="BlobUpload"/>. The input's bytes
/// are checked as they pass (<see cref="TensorCheck"/>) when its module came before them, as clients send
/// it; otherwise from the upload once the body is read.
/// <para>
/// Fields are those of <see cref="SubmitJobDto"/>, read by the request rules (<see cref="RequestRules"/>,
/// docs/api.md): names exactly as documented (camelCase), each at most once in its object (a bitset per
/// object), numbers only as JSON numbers, strings and arrays bounded, and an unknown field refused the
/// moment its name is read. Every refusal is a 400 naming the JSON path (<c>input.shape[2]</c>) and the
/// JSON kinds, never a .NET type.
/// </para>
/// </summary>
internal sealed class SubmitJobReader : IDisposable
{
    private const int BufferBytes = 64 * 1024;
    /// <summary>The longest token besides a tensor's data: a string, a number.</summary>
    private const int MaxTokenBytes = 1024 * 1024;
    /// <summary>One bias per output channel: a million is no job a board runs, and a body of digits is not held as a longer array.</summary>
    private const int MaxBiasValues = 1 << 20;
    private static readonly JsonReaderState Start = new(new JsonReaderOptions { MaxDepth = 64 });
    private static readonly SearchValues<byte> Whitespace = SearchValues.Create(" \t\r\n"u8);

    /// <summary>The fields of the body by their documented names, in the order docs/api.md lists them.</summary>
    private static readonly (string Name, Field Field)[] BodyFields =
    [
        ("module", Field.Module), ("input", Field.Input), ("weights", Field.Weights), ("bias", Field.Bias), ("shift", Field.Shift),
        ("stride", Field.Stride), ("padding", Field.Padding), ("output", Field.Output), ("priority", Field.Priority),
        ("deadline", Field.Deadline), ("cpuFallback", Field.CpuFallback), ("idempotencyKey", Field.IdempotencyKey),
    ];

    /// <summary>The fields of a tensor.</summary>
    private static readonly (string Name, Field Field)[] TensorFields = [("shape", Field.Shape), ("data", Field.Data)];

    private readonly Stream _body;
    private readonly IBlobStore _blobs;
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(BufferBytes);
    private int _start;
    private int _end;
    private bool _final;
    private JsonReaderState _state = Start;

    private Scope _scope;
    /// <summary>The field whose value comes next and, in a tensor, which one.</summary>
    private Field _field;
    private Tensor? _tensor;
    private Field _tensorField;
    /// <summary>The body's fields seen so far, a bit each (<see cref="Field"/>): a second one is refused.</summary>
    private int _seen;
    /// <summary>An array being read (a shape or the bias).</summary>
    private List<long>? _array;
    private Raw _raw;
    private Base64StringReader? _string;

    private bool _object;
    private string? _module;
    private Tensor? _input;
    private Tensor? _weights;
    private long[]? _bias;
    private int _shift;
    private int _stride = 1;
    private string? _padding;
    private string? _output;
    private int _priority;
    private DateTimeOffset? _deadline;
    private bool _cpuFallback;
    private string? _idempotencyKey;

    private SubmitJobReader(Stream body, IBlobStore blobs)
    {
        _body = body;
        _blobs = blobs;
    }

    /// <summary>Where the reader is in a string value read raw (a tensor's data).</summary>
    private enum Raw
    {
        /// <summary>Not in one: the JSON reader reads.</summary>
        No,
        /// <summary>After the property name: a string starts here, or the JSON reader reads the value.</summary>
        Opening,
        /// <summary>Inside the string, up to its closing quote.</summary>
        Inside,
    }

    private enum Scope
    {
        Start,
        Body,
        Tensor,
        Shape,
        Bias,
        End,
    }

    private enum Field
    {
        None,
        Module,
        Input,
        Weights,
        Bias,
        Shift,
        Stride,
        Padding,
        Output,
        Priority,
        Deadline,
        CpuFallback,
        IdempotencyKey,
        Shape,
        Data,
    }

    /// <summary>
    /// The request in <paramref name="body"/>, its input inline or, over <see cref="JobRequest.InlineLimit"/>
    /// bytes, in an upload not yet stored (<see cref="JobSubmission.StoreInput"/>).
    /// </summary>
    /// <exception cref="ApiProblem">400 naming the field (not valid JSON, a value of the wrong type, missing, not base64), or what the body stream threw (413, 503).</exception>
    /// <exception cref="ConvolutionException">The input's bytes do not fit its shape or precision.</exception>
    /// <exception cref="IOException">The upload could not be written.</exception>
    public static async Task<JobSubmission> ReadAsync(Stream body, string tenant, IBlobStore blobs, CancellationToken cancel = default)
    {
        using var reader = new SubmitJobReader(body, blobs);
        while (!reader.Parse())
        {
            await reader.FillAsync(cancel);
        }
        return reader.ToSubmission(tenant);
    }

    public void Dispose()
    {
        _string?.Dispose();
        _input?.Data?.Dispose();
        _weights?.Data?.Dispose();
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }

    /// <summary>Parses what the buffer holds; true once the whole body is read.</summary>
    private bool Parse()
    {
        while (true)
        {
            var available = _buffer.AsSpan(_start, _end - _start);
            if (_raw == Raw.Opening)
            {
                var at = available.IndexOfAnyExcept(Whitespace);
                if (at < 0)
                {
                    _start = _end;
                    if (!_final)
                    {
                        return false;
                    }
                    // The body ends before the value: the JSON reader says so.
                    _raw = Raw.No;
                    continue;
                }
                _start += at;
                _raw = Raw.No;
                if (available[at] == '"')
                {
                    _start++;
                    _raw = Raw.Inside;
                    _string = StartString();
                }
                continue;
            }
            if (_raw == Raw.Inside)
            {
                _start += _string!.Read(available, out var closed);
                if (!closed)
                {
                    return _final ? throw ApiProblem.BadInput(Path(), $"not valid JSON at $.{Path()}: the body ends inside a string") : false;
                }
                EndString();
                continue;
            }
            var json = new Utf8JsonReader(available, _final, _state);
            try
            {
                while (json.Read())
                {
                    if (Handle(ref json))
                    {
                        _raw = Raw.Opening;
                        break;
                    }
                }
            }
            catch (JsonException e)
            {
                throw NotJson(Path(), e);
            }
            catch (InvalidOperationException e)
            {
                // A name or string that is not UTF-8 (Utf8JsonReader.GetString).
                throw NotJson(Path(), e);
            }
            _start += (int)json.BytesConsumed;
            _state = json.CurrentState;
            if (_raw == Raw.No)
            {
                // The reader wants more, or (the body read) has seen the end of the value.
                return _final;
            }
        }
    }

    /// <summary>More of the body after what is left in the buffer; the buffer doubles when one token fills it.</summary>
    private async ValueTask FillAsync(CancellationToken cancel)
    {
        var left = _end - _start;
        if (left == _buffer.Length)
        {
            if (_buffer.Length >= MaxTokenBytes)
            {
                var path = Path();
                throw ApiProblem.BadInput(path, $"{path}: a JSON value longer than {MaxTokenBytes} bytes (only a tensor's data may be longer; docs/api.md, \"Request rules\", bounds the rest)");
            }
            var larger = ArrayPool<byte>.Shared.Rent(_buffer.Length * 2);
            _buffer.AsSpan(_start, left).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = larger;
        }
        else if (_start > 0)
        {
            _buffer.AsSpan(_start, left).CopyTo(_buffer);
        }
        _start = 0;
        _end = left;
        var read = await _body.ReadAsync(_buffer.AsMemory(_end), cancel);
        _end += read;
        _final = read == 0;
    }

    /// <summary>One token; true when the value that follows (a property's) is a string to be read raw.</summary>
    private bool Handle(ref Utf8JsonReader json)
    {
        var token = json.TokenType;
        switch (_scope)
        {
            case Scope.Start:
                _object = token == JsonTokenType.StartObject;
                _scope = _object ? Scope.Body : Scope.End;
                if (!_object && token != JsonTokenType.Null)
                {
                    throw RequestRules.WrongKind("body", "a JSON object", token);
                }
                return false;
            case Scope.Body when token == JsonTokenType.EndObject:
                _scope = Scope.End;
                return false;
            case Scope.Body when token == JsonTokenType.PropertyName:
                _field = Named(json.GetString()!, BodyFields, "", ref _seen);
                return false;
            case Scope.Body:
                BodyValue(ref json);
                return false;
            case Scope.Tensor when token == JsonTokenType.EndObject:
                _scope = Scope.Body;
                _field = Field.None;
                return false;
            case Scope.Tensor when token == JsonTokenType.PropertyName:
                var seen = _tensor!.Seen;
                _tensorField = Named(json.GetString()!, TensorFields, _tensor.Name + ".", ref seen);
                _tensor.Seen = seen;
                return _tensorField == Field.Data;
            case Scope.Tensor:
                TensorValue(ref json);
                return false;
            case Scope.Shape or Scope.Bias:
                ArrayValue(ref json);
                return false;
            default:
                return false;
        }
    }

    private void BodyValue(ref Utf8JsonReader json)
    {
        var token = json.TokenType;
        var name = Camel(_field);
        switch (_field)
        {
            case Field.Module:
                _module = String(ref json, name, RequestRules.MaxNameLength, nullable: true);
                if (_module is not null)
                {
                    RequestRules.RequireName(name, _module);
                }
                break;
            case Field.Padding:
                _padding = OneOf(String(ref json, name, RequestRules.MaxStringLength, nullable: false)!, name, "same", "valid");
                break;
            case Field.Output:
                _output = OneOf(String(ref json, name, RequestRules.MaxStringLength, nullable: false)!, name, "requantized", "raw");
                break;
            case Field.IdempotencyKey:
                _idempotencyKey = String(ref json, name, RequestRules.MaxIdempotencyKeyLength, nullable: true);
                if (_idempotencyKey is not null)
                {
                    RequestRules.RequireIdempotencyKey(_idempotencyKey);
                }
                break;
            case Field.Shift:
                _shift = Int32(ref json, name);
                break;
            case Field.Stride:
                _stride = Int32(ref json, name);
                break;
            case Field.Priority:
                _priority = Int32(ref json, name, RequestRules.MinPriority, RequestRules.MaxPriority);
                break;
            case Field.Deadline:
                _deadline = Deadline(ref json, name);
                break;
            case Field.CpuFallback:
                _cpuFallback = token is JsonTokenType.True or JsonTokenType.False
                    ? json.GetBoolean()
                    : throw RequestRules.WrongKind(name, "true or false", token);
                break;
            case Field.Bias when token == JsonTokenType.StartArray:
                _array = [];
                _scope = Scope.Bias;
                return;
            case Field.Bias:
                _bias = token == JsonTokenType.Null ? null : throw RequestRules.WrongKind(name, "an array of integers, one per output channel (or null)", token);
                break;
            case Field.Input or Field.Weights:
                if (token == JsonTokenType.StartObject)
                {
                    var tensor = new Tensor(name);
                    if (_field == Field.Input)
                    {
                        _input = tensor;
                    }
                    else
                    {
                        _weights = tensor;
                    }
                    _tensor = tensor;
                    _tensorField = Field.None;
                    _scope = Scope.Tensor;
                    return;
                }
                if (token != JsonTokenType.Null)
                {
                    throw RequestRules.WrongKind(name, "an object {shape, data} (or null)", token);
                }
                break;
        }
        _field = Field.None;
    }

    private void TensorValue(ref Utf8JsonReader json)
    {
        var tensor = _tensor!;
        var token = json.TokenType;
        var name = $"{tensor.Name}.{Camel(_tensorField)}";
        switch (_tensorField)
        {
            case Field.Shape when token == JsonTokenType.StartArray:
                _array = [];
                _scope = Scope.Shape;
                break;
            case Field.Shape:
                tensor.Shape = token == JsonTokenType.Null ? null : throw RequestRules.WrongKind(name, "an array of 4 integers (or null)", token);
                break;
            case Field.Data:
                // Not a string (those are read raw): null, or a value that cannot be one.
                if (token != JsonTokenType.Null)
                {
                    throw RequestRules.WrongKind(name, "a base64 string (or null)", token);
                }
                tensor.Data?.Dispose();
                tensor.Data = null;
                break;
        }
    }

    private void ArrayValue(ref Utf8JsonReader json)
    {
        var shape = _scope == Scope.Shape;
        if (json.TokenType == JsonTokenType.EndArray)
        {
            if (shape)
            {
                _tensor!.Shape = [.. _array!.Select(d => (int)d)];
                _scope = Scope.Tensor;
            }
            else
            {
                _bias = [.. _array!];
                _scope = Scope.Body;
                _field = Field.None;
            }
            _array = null;
            return;
        }
        // A shape has four dimensions (JobRequest.Check refuses any other count); a body of digits is not held as a longer one.
        if (_array!.Count == (shape ? 4 : MaxBiasValues))
        {
            throw shape
                ? ApiProblem.BadInput($"{_tensor!.Name}.shape", $"{_tensor!.Name}.shape: expected 4 dimensions (NCHW), found more")
                : ApiProblem.BadInput("bias", $"bias: more than {MaxBiasValues} values");
        }
        _array.Add(shape ? Int32(ref json, Path()) : Int64(ref json, Path()));
    }

    /// <summary>A tensor's data, read raw into its <see cref="DecodedTensor"/>.</summary>
    private Base64StringReader StartString()
    {
        var tensor = _tensor!;
        tensor.Data?.Dispose();
        tensor.Data = null;
        // The module and shape sent before the data (as clients send them) size the tensor and check it on the way.
        var module = ConvModule.TryResolve(_module, out var m) ? m : null;
        var shape = Shape(tensor.Shape);
        long? expected = null;
        if (module is not null && shape is { } s && (Int128)s.Count * (module.Bits / 8) <= long.MaxValue)
        {
            expected = s.Count * (module.Bits / 8);
        }
        tensor.Data = tensor == _input
            ? new DecodedTensor("input", _blobs, JobRequest.InlineLimit, module is null ? null : new TensorCheck("input", module, shape), expected)
            : new DecodedTensor("weights", null, 0, null, expected);
        return new Base64StringReader(Path(), tensor.Data);
    }

    /// <summary>The string read raw is over: the JSON reader is told a string was there (an empty one) and goes on after it.</summary>
    private void EndString()
    {
        var empty = new Utf8JsonReader("\"\""u8, isFinalBlock: false, _state);
        empty.Read();
        _state = empty.CurrentState;
        _raw = Raw.No;
        _string!.Dispose();
        _string = null;
    }

    /// <summary>Every field present and the input's own checks done; the request and the input's upload change hands.</summary>
    private JobSubmission ToSubmission(string tenant)
    {
        if (!_object)
        {
            throw ApiProblem.BadInput("body", "a JSON object is needed");
        }
        // In the order JobEndpoints has always named missing fields.
        var module = _module ?? throw ApiProblem.BadInput("module", "a module is needed, e.g. conv3x3_int8");
        var input = _input ?? throw ApiProblem.BadInput("input", "an input tensor {shape, data} is needed");
        var inputShape = input.Shape ?? throw ApiProblem.BadInput("input.shape", "a shape [N, C, H, W] is needed");
        var inputData = input.Data ?? throw ApiProblem.BadInput("input.data", "base64 data is needed");
        var weights = _weights ?? throw ApiProblem.BadInput("weights", "a weights tensor {shape, data} is needed");
        var weightShape = weights.Shape ?? throw ApiProblem.BadInput("weights.shape", "a shape [Cout, Cin, K, K] is needed");
        var weightData = weights.Data ?? throw ApiProblem.BadInput("weights.data", "base64 data is needed");
        if (inputData.Upload is { } upload && ConvModule.TryResolve(module, out var conv) && Shape(inputShape) is { } shape)
        {
            // An input inline is checked by JobRequest.Check; one in the blob store must be checked before it goes there.
            var check = inputData.Check?.Module == conv ? inputData.Check : CheckUpload(upload, conv);
            check.Complete(shape);
        }
        var key = inputData.Upload?.Key;
        var request = new JobRequest(
            tenant, module, _stride, _padding ?? "same", _shift, _output ?? "requantized",
            inputShape, key is null ? inputData.ToArray() : [], weightShape, weightData.ToArray(),
            _bias, _priority, _deadline, _idempotencyKey, _cpuFallback, InputBlob: key);
        return new JobSubmission(request, inputData.TakeUpload());
    }

    /// <summary>The input's bytes checked from its upload: its module came after them.</summary>
    private TensorCheck CheckUpload(BlobUpload upload, ConvModule module)
    {
        var check = new TensorCheck("input", module);
        using var bytes = upload.OpenRead();
        int read;
        while ((read = bytes.Read(_buffer)) > 0)
        {
            check.Append(_buffer.AsSpan(0, read));
        }
        return check;
    }

    /// <summary>The JSON path being read, as a field name: <c>input.shape[2]</c>, <c>bias</c>, <c>body</c> outside any field.</summary>
    private string Path() => _scope switch
    {
        Scope.Body when _field != Field.None => Camel(_field),
        Scope.Tensor when _tensorField != Field.None => $"{_tensor!.Name}.{Camel(_tensorField)}",
        Scope.Tensor => _tensor!.Name,
        Scope.Shape => $"{_tensor!.Name}.shape[{_array!.Count}]",
        Scope.Bias => $"bias[{_array!.Count}]",
        _ => "body",
    };

    /// <summary>A JSON syntax error: the path, then the reader's message without its position.</summary>
    private static ApiProblem NotJson(string field, Exception e) =>
        ApiProblem.BadInput(field, $"not valid JSON at {(field == "body" ? "$" : "$." + field)}: {e.Message.Split(" Path:")[0].Split(" LineNumber:")[0]}");

    /// <summary>
    /// The field a property name stands for, compared ordinally with the documented names; an unknown
    /// name, or one already seen in this object (<paramref name="seen"/>), is refused naming its path.
    /// </summary>
    private static Field Named(string name, (string Name, Field Field)[] fields, string prefix, ref int seen)
    {
        foreach (var (known, field) in fields)
        {
            if (string.Equals(name, known, StringComparison.Ordinal))
            {
                var bit = 1 << (int)field;
                if ((seen & bit) != 0)
                {
                    throw RequestRules.Duplicate(prefix + known);
                }
                seen |= bit;
                return field;
            }
        }
        throw RequestRules.Unknown(prefix + RequestRules.Shorten(name), fields.Select(f => f.Name));
    }

    /// <summary>A field's documented name (camelCase).</summary>
    private static string Camel(Field field) => JsonNamingPolicy.CamelCase.ConvertName(field.ToString());

    /// <summary>A string of at most <paramref name="maxLength"/> characters; null only where the field may be absent.</summary>
    private static string? String(ref Utf8JsonReader json, string field, int maxLength, bool nullable)
    {
        if (json.TokenType == JsonTokenType.Null && nullable)
        {
            return null;
        }
        if (json.TokenType != JsonTokenType.String)
        {
            throw RequestRules.WrongKind(field, nullable ? "a string (or null)" : "a string", json.TokenType);
        }
        // Each character is at most 6 bytes escaped (\uXXXX): a longer one is refused before it is decoded.
        var bytes = json.ValueSpan.Length;
        var text = bytes > maxLength * 6 ? null : json.GetString()!;
        if (text is null || text.Length > maxLength)
        {
            throw ApiProblem.BadInput(field, $"{field}: at most {maxLength} characters, found {text?.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "more"}");
        }
        return text;
    }

    /// <summary>A string that must be one of the documented values, exactly as written.</summary>
    private static string OneOf(string value, string field, params string[] values) =>
        values.Contains(value, StringComparer.Ordinal)
            ? value
            : throw ApiProblem.BadInput(field, $"{field}: expected {string.Join(" or ", values)}, found '{RequestRules.Shorten(value)}'");

    /// <summary>A JSON number that is an integer from <paramref name="min"/> to <paramref name="max"/>.</summary>
    private static int Int32(ref Utf8JsonReader json, string field, int min = int.MinValue, int max = int.MaxValue)
    {
        if (json.TokenType != JsonTokenType.Number)
        {
            throw RequestRules.WrongKind(field, "a number", json.TokenType);
        }
        if (!json.TryGetInt32(out var value) || value < min || value > max)
        {
            throw ApiProblem.BadInput(field, $"{field}: expected an integer from {min} to {max}, found {Number(ref json)}");
        }
        return value;
    }

    /// <summary>A JSON number that is a 64-bit integer.</summary>
    private static long Int64(ref Utf8JsonReader json, string field)
    {
        if (json.TokenType != JsonTokenType.Number)
        {
            throw RequestRules.WrongKind(field, "a number", json.TokenType);
        }
        return json.TryGetInt64(out var value)
            ? value
            : throw ApiProblem.BadInput(field, $"{field}: expected an integer from {long.MinValue} to {long.MaxValue}, found {Number(ref json)}");
    }

    /// <summary>A date and time as ISO 8601 with an offset, or null.</summary>
    private static DateTimeOffset? Deadline(ref Utf8JsonReader json, string field)
    {
        var text = String(ref json, field, RequestRules.MaxStringLength, nullable: true);
        if (text is null)
        {
            return null;
        }
        return json.TryGetDateTimeOffset(out var at)
            ? at
            : throw ApiProblem.BadInput(field, $"{field}: expected a date and time in ISO 8601 (e.g. 2030-01-01T00:00:00Z), found '{RequestRules.Shorten(text)}'");
    }

    /// <summary>A number as it was sent, shortened.</summary>
    private static string Number(ref Utf8JsonReader json) => RequestRules.Shorten(System.Text.Encoding.UTF8.GetString(json.ValueSpan));

    private static TensorShape? Shape(int[]? dims) =>
        dims is [var n, var c, var h, var w] && n > 0 && c > 0 && h > 0 && w > 0 ? new TensorShape(n, c, h, w) : null;

    /// <summary>A tensor object being read: its shape and where its data went.</summary>
    private sealed class Tensor(string name)
    {
        public string Name { get; } = name;

        public int[]? Shape { get; set; }

        public DecodedTensor? Data { get; set; }

        /// <summary>The tensor's fields seen so far, a bit each: a second one is refused.</summary>
        public int Seen { get; set; }
    }
}
