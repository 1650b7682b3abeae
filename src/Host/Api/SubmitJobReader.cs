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
/// Fields are those of <see cref="SubmitJobDto"/>, read as <see cref="ApiJson.Options"/> reads them
/// (names in any case, numbers also from strings, the last of a repeated field wins); each value goes
/// through <see cref="JsonSerializer"/>, so a value that cannot be converted is refused with the same
/// words, naming its path. An unknown field is skipped (<see cref="Skip"/>), its strings unread.
/// </para>
/// </summary>
internal sealed class SubmitJobReader : IDisposable
{
    private const int BufferBytes = 64 * 1024;
    /// <summary>The longest token besides a tensor's data: a module name, a number, a string of an unknown field's object.</summary>
    private const int MaxTokenBytes = 1024 * 1024;
    /// <summary>One bias per output channel: a million is no job a board runs, and a body of digits is not held as a longer array.</summary>
    private const int MaxBiasValues = 1 << 20;
    private static readonly JsonReaderState Start = new(new JsonReaderOptions { MaxDepth = 64 });
    private static readonly SearchValues<byte> Whitespace = SearchValues.Create(" \t\r\n"u8);

    private readonly Stream _body;
    private readonly IBlobStore _blobs;
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(BufferBytes);
    private int _start;
    private int _end;
    private bool _final;
    private JsonReaderState _state = Start;

    private Scope _scope;
    /// <summary>The field whose value comes next, its name as sent, and, in a tensor, which one.</summary>
    private Field _field;
    private string _name = "";
    private Tensor? _tensor;
    private Field _tensorField;
    /// <summary>An array being read (a shape or the bias), and the scope an unknown value being skipped is in.</summary>
    private List<long>? _array;
    private int _skipDepth;
    private Scope _skipIn;
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

    /// <summary>Where the reader is in a string value read raw (a tensor's data, an unknown field's string).</summary>
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
        Skip,
        End,
    }

    private enum Field
    {
        None,
        Unknown,
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
                throw ApiProblem.BadInput(Path(), $"a JSON value longer than {MaxTokenBytes} bytes (only a tensor's data may be longer)");
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
                    throw ApiProblem.BadInput("body", $"not valid JSON at $: expected a JSON object, found {token}");
                }
                return false;
            case Scope.Body when token == JsonTokenType.EndObject:
                _scope = Scope.End;
                return false;
            case Scope.Body when token == JsonTokenType.PropertyName:
                _name = json.GetString()!;
                _field = BodyField(_name);
                return _field == Field.Unknown;
            case Scope.Body:
                BodyValue(ref json);
                return false;
            case Scope.Tensor when token == JsonTokenType.EndObject:
                _scope = Scope.Body;
                _field = Field.None;
                return false;
            case Scope.Tensor when token == JsonTokenType.PropertyName:
                _name = json.GetString()!;
                _tensorField = Named(_name, nameof(TensorDto.Shape)) ? Field.Shape : Named(_name, nameof(TensorDto.Data)) ? Field.Data : Field.Unknown;
                return _tensorField is Field.Data or Field.Unknown;
            case Scope.Tensor:
                TensorValue(ref json);
                return false;
            case Scope.Shape or Scope.Bias:
                ArrayValue(ref json);
                return false;
            case Scope.Skip:
                Skip(token);
                return false;
            default:
                return false;
        }
    }

    private void BodyValue(ref Utf8JsonReader json)
    {
        var token = json.TokenType;
        switch (_field)
        {
            case Field.Module:
                _module = Value<string>(ref json);
                break;
            case Field.Padding:
                _padding = Value<string>(ref json);
                break;
            case Field.Output:
                _output = Value<string>(ref json);
                break;
            case Field.IdempotencyKey:
                _idempotencyKey = Value<string>(ref json);
                break;
            case Field.Shift:
                _shift = Value<int>(ref json);
                break;
            case Field.Stride:
                _stride = Value<int>(ref json);
                break;
            case Field.Priority:
                _priority = Value<int>(ref json);
                break;
            case Field.Deadline:
                _deadline = Value<DateTimeOffset?>(ref json);
                break;
            case Field.CpuFallback:
                _cpuFallback = Value<bool>(ref json);
                break;
            case Field.Bias when token == JsonTokenType.StartArray:
                _array = [];
                _scope = Scope.Bias;
                return;
            case Field.Bias:
                _bias = Value<long[]>(ref json);
                break;
            case Field.Input or Field.Weights:
                Tensor? tensor = null;
                if (token == JsonTokenType.StartObject)
                {
                    tensor = new Tensor(_field == Field.Input ? "input" : "weights");
                }
                else
                {
                    // Not an object: null, or refused as System.Text.Json refuses it.
                    _ = Value<TensorDto>(ref json);
                }
                // The last of a repeated field wins, as in System.Text.Json.
                ref var slot = ref _field == Field.Input ? ref _input : ref _weights;
                slot?.Data?.Dispose();
                slot = tensor;
                if (tensor is not null)
                {
                    _tensor = tensor;
                    _tensorField = Field.None;
                    _scope = Scope.Tensor;
                    return;
                }
                break;
            default:
                Skip(token, Scope.Body);
                return;
        }
        _field = Field.None;
    }

    private void TensorValue(ref Utf8JsonReader json)
    {
        var tensor = _tensor!;
        switch (_tensorField)
        {
            case Field.Shape when json.TokenType == JsonTokenType.StartArray:
                _array = [];
                _scope = Scope.Shape;
                break;
            case Field.Shape:
                tensor.Shape = Value<int[]>(ref json);
                break;
            case Field.Data:
                // Not a string (those are read raw): null, or a value that cannot be one.
                _ = Value<string>(ref json);
                tensor.Data?.Dispose();
                tensor.Data = null;
                break;
            default:
                Skip(json.TokenType, Scope.Tensor);
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
                ? ApiProblem.BadInput($"{_tensor!.Name}.shape", "expected 4 dimensions (NCHW), found more")
                : ApiProblem.BadInput("bias", $"more than {MaxBiasValues} values");
        }
        _array.Add(shape ? Value<int>(ref json) : Value<long>(ref json));
    }

    /// <summary>
    /// An unknown field's value, skipped token by token (its strings are read raw before they get here).
    /// The one place that decides what an unknown field does: refusing them would start here.
    /// </summary>
    private void Skip(JsonTokenType token, Scope from = Scope.Skip)
    {
        if (from != Scope.Skip)
        {
            _skipIn = from;
            _skipDepth = 0;
        }
        _skipDepth += token switch
        {
            JsonTokenType.StartObject or JsonTokenType.StartArray => 1,
            JsonTokenType.EndObject or JsonTokenType.EndArray => -1,
            _ => 0,
        };
        _scope = _skipDepth == 0 ? _skipIn : Scope.Skip;
        if (_scope == Scope.Body)
        {
            _field = Field.None;
        }
    }

    /// <summary>A string read raw: a tensor's data into its <see cref="DecodedTensor"/>, an unknown field's skipped.</summary>
    private Base64StringReader StartString()
    {
        if (_scope != Scope.Tensor || _tensorField != Field.Data)
        {
            return new Base64StringReader(Path(), null);
        }
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
        if (_scope == Scope.Body)
        {
            _field = Field.None;
        }
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
    private string Path() => (_scope == Scope.Skip ? _skipIn : _scope) switch
    {
        Scope.Body when _field != Field.None => Camel(_field, _name),
        Scope.Tensor when _tensorField != Field.None => $"{_tensor!.Name}.{Camel(_tensorField, _name)}",
        Scope.Tensor => _tensor!.Name,
        Scope.Shape => $"{_tensor!.Name}.shape[{_array!.Count}]",
        Scope.Bias => $"bias[{_array!.Count}]",
        _ => "body",
    };

    private T? Value<T>(ref Utf8JsonReader json)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(ref json, ApiJson.Options);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw NotJson(Path(), e);
        }
    }

    /// <summary>A JSON error as the API has always worded it: the path, then System.Text.Json's message without its position.</summary>
    private static ApiProblem NotJson(string field, Exception e) =>
        ApiProblem.BadInput(field, $"not valid JSON at {(field == "body" ? "$" : "$." + field)}: {e.Message.Split(" Path:")[0].Split(" LineNumber:")[0]}");

    private static Field BodyField(string name) =>
        Named(name, nameof(SubmitJobDto.Module)) ? Field.Module
        : Named(name, nameof(SubmitJobDto.Input)) ? Field.Input
        : Named(name, nameof(SubmitJobDto.Weights)) ? Field.Weights
        : Named(name, nameof(SubmitJobDto.Bias)) ? Field.Bias
        : Named(name, nameof(SubmitJobDto.Shift)) ? Field.Shift
        : Named(name, nameof(SubmitJobDto.Stride)) ? Field.Stride
        : Named(name, nameof(SubmitJobDto.Padding)) ? Field.Padding
        : Named(name, nameof(SubmitJobDto.Output)) ? Field.Output
        : Named(name, nameof(SubmitJobDto.Priority)) ? Field.Priority
        : Named(name, nameof(SubmitJobDto.Deadline)) ? Field.Deadline
        : Named(name, nameof(SubmitJobDto.CpuFallback)) ? Field.CpuFallback
        : Named(name, nameof(SubmitJobDto.IdempotencyKey)) ? Field.IdempotencyKey
        : Field.Unknown;

    /// <summary>A JSON name matches a <see cref="SubmitJobDto"/> property as <see cref="ApiJson.Options"/> match it: case-insensitively.</summary>
    private static bool Named(string name, string property) => string.Equals(name, property, StringComparison.OrdinalIgnoreCase);

    /// <summary>A known field by its API name (camelCase), an unknown one as it was sent.</summary>
    private static string Camel(Field field, string sent) =>
        field is Field.Unknown or Field.None ? sent : JsonNamingPolicy.CamelCase.ConvertName(field.ToString());

    private static TensorShape? Shape(int[]? dims) =>
        dims is [var n, var c, var h, var w] && n > 0 && c > 0 && h > 0 && w > 0 ? new TensorShape(n, c, h, w) : null;

    /// <summary>A tensor object being read: its shape and where its data went.</summary>
    private sealed class Tensor(string name)
    {
        public string Name { get; } = name;

        public int[]? Shape { get; set; }

        public DecodedTensor? Data { get; set; }
    }
}
