using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dpr.Actors.Jobs;
using Dpr.Fabric.Convolution;
using Dpr.Host.Api;
using Xunit.Abstractions;

namespace Dpr.Host.Tests.Api;

/// <summary>
/// The body of <c>POST /v1/jobs</c> read as it arrives (<see cref="SubmitJobReader"/>), without a server:
/// what it allocates, where a large input goes, and its errors wherever the stream cuts the body.
/// </summary>
public sealed class SubmitJobReaderTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"dpr-reader-{Guid.NewGuid():N}");

    private BlobStore Blobs => new(_directory);

    [Fact]
    public void A_16_MiB_input_goes_to_the_blob_store_with_bounded_allocation_under_its_SHA_256()
    {
        var blobs = Blobs;
        var input = Bytes(16 << 20, seed: 1);
        var body = Body("conv3x3_int8", [1, 1, 4096, 4096], input, [1, 1, 3, 3], Bytes(9, seed: 2));
        // The first parse pays for JIT and the pooled buffers; the second is measured.
        Parse(Body("conv3x3_int8", [1, 1, 300, 300], Bytes(90_000, seed: 3), [1, 1, 3, 3], Bytes(9, seed: 4)), blobs).Dispose();

        var before = GC.GetAllocatedBytesForCurrentThread();
        using var submission = Parse(body, blobs);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        output.WriteLine($"body {body.Length:N0} bytes, input {input.Length:N0} bytes: {allocated:N0} bytes allocated");
        Assert.True(allocated < 1 << 20, $"{allocated:N0} bytes allocated for a {input.Length:N0}-byte input");
        Assert.Empty(submission.Request.Input);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(input)), submission.Request.InputBlob);
        Assert.False(blobs.Contains(submission.Request.InputBlob!));
        submission.StoreInput();
        Assert.Equal(input, blobs.Get(submission.Request.InputBlob!));
    }

    [Fact]
    public void An_upload_not_stored_leaves_nothing_behind()
    {
        var blobs = Blobs;
        var input = Bytes(200_000, seed: 5);

        using (Parse(Body("conv3x3_int8", [1, 1, 400, 500], input, [1, 1, 3, 3], Bytes(9, seed: 6)), blobs))
        {
            Assert.Single(Directory.GetFiles(_directory));
        }

        Assert.Empty(Directory.GetFiles(_directory));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(4093)]
    [InlineData(65536)]
    public void Tensors_cut_anywhere_by_the_stream_decode_to_their_bytes(int readSize)
    {
        // System.Text.Json writes '+' as \u002B, and a client may write '/' as \/: escapes cut by reads too.
        foreach (var size in new[] { 0, 1, 2, 3, 48 * 1024 + 1, JobRequest.InlineLimit, JobRequest.InlineLimit + 1, 300_000 })
        {
            var input = Bytes(size, seed: size);
            var weights = Bytes(9, seed: 7);
            var json = Encoding.UTF8.GetString(Body("conv3x3_int8", [1, 1, 1, Math.Max(size, 1)], input, [1, 1, 3, 3], weights)).Replace("/", "\\/", StringComparison.Ordinal);

            using var submission = Parse(Encoding.UTF8.GetBytes(json), Blobs, readSize);

            submission.StoreInput();
            var request = submission.Request.Inline(Blobs);
            Assert.Equal(input, request.Input);
            Assert.Equal(weights, request.Weights);
            Assert.Equal(size > JobRequest.InlineLimit, submission.Request.InputBlob is not null);
        }
    }

    [Fact]
    public void Every_field_is_read_by_its_documented_name()
    {
        var data = Convert.ToBase64String(Bytes(16, seed: 8));
        var body = $$"""
            {"module": "conv3x3_8bit",
             "input": {"shape": [1, 1, 4, 4], "data": "{{data}}"},
             "weights": {"data": " {{Convert.ToBase64String(Bytes(18, seed: 9))}} ", "shape": [2, 1, 3, 3]},
             "bias": [5, -6], "shift": 3, "stride": 2, "padding": "valid", "output": "raw", "priority": -4,
             "deadline": "2030-01-01T00:00:00Z", "cpuFallback": true, "idempotencyKey": "k-1"}
            """;

        using var submission = Parse(Encoding.UTF8.GetBytes(body), Blobs, readSize: 1000);

        var request = submission.Request;
        Assert.Equal(("conv3x3_8bit", 2, "valid", 3, "raw"), (request.Module, request.Stride, request.Padding, request.Shift, request.Output));
        Assert.Equal([1, 1, 4, 4], request.InputShape);
        Assert.Equal([2, 1, 3, 3], request.WeightShape);
        Assert.Equal(Convert.FromBase64String(data), request.Input);
        Assert.Equal([5L, -6L], request.Bias!);
        Assert.Equal((-4, true, "k-1"), (request.Priority, request.CpuFallback, request.IdempotencyKey));
        Assert.Equal(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero), request.Deadline);
    }

    [Theory]
    [InlineData("\"shift\": 0, \"stride\": 1, \"shift\": 9", "shift", "sent more than once")]
    [InlineData("\"MODULE\": \"conv3x3_int8\"", "MODULE", "unknown field")]
    [InlineData("\"shfit\": 2", "shfit", "unknown field")]
    [InlineData("\"extra\": {\"module\": 1}", "extra", "unknown field")]
    [InlineData("\"shift\": \"3\"", "shift", "expected a number, found a string")]
    [InlineData("\"bias\": [1, \"2\"]", "bias[1]", "expected a number, found a string")]
    [InlineData("\"cpuFallback\": \"true\"", "cpuFallback", "expected true or false, found a string")]
    [InlineData("\"priority\": 101", "priority", "expected an integer from -100 to 100, found 101")]
    [InlineData("\"priority\": 1.5", "priority", "expected an integer from -100 to 100, found 1.5")]
    [InlineData("\"padding\": \"SAME\"", "padding", "expected same or valid, found 'SAME'")]
    [InlineData("\"output\": null", "output", "expected a string, found null")]
    [InlineData("\"idempotencyKey\": \"a key\"", "idempotencyKey", "printable ASCII characters without spaces")]
    [InlineData("\"deadline\": 1893456000", "deadline", "expected a string (or null), found a number")]
    public void A_field_that_could_mean_two_things_is_refused_naming_it(string fields, string field, string detail)
    {
        var body = $$"""{"module": "conv3x3_int8", "input": {"shape": [1, 1, 4, 4], "data": "AAAAAAAAAAAAAAAAAAAAAA=="}, "weights": {"shape": [1, 1, 3, 3], "data": "AAAAAAAAAAAA"}, {{fields}}}""";
        foreach (var readSize in new[] { 1, 4096 })
        {
            var problem = Assert.Throws<ApiProblem>(() => Parse(Encoding.UTF8.GetBytes(body), Blobs, readSize));

            Assert.Equal((400, field), (problem.Status, problem.Field));
            Assert.Contains(detail, problem.Message);
        }
    }

    [Theory]
    [InlineData("""{"module": "conv3x3_int8", "input": {"shape": [1, 1, "6", 6], "data": ""}}""", "input.shape[2]", "expected a number, found a string")]
    [InlineData("""{"module": "conv3x3_int8", "input": {"shapee": [1, 1, 6, 6], "data": ""}}""", "input.shapee", "unknown field")]
    [InlineData("""{"module": "conv3x3_int8", "input": {"Data": "", "shape": [1, 1, 6, 6]}}""", "input.Data", "unknown field")]
    [InlineData("""{"module": "conv3x3_int8", "input": {"data": "AAAA", "shape": [1, 1, 2, 2], "data": "AAAA"}}""", "input.data", "sent more than once")]
    [InlineData("""{"module": "conv3x3_int8", "input": {"shape": [1, 1, 2, 2], "data": "AAAA"}, "input": {"shape": [1, 1, 2, 2], "data": "AAAA"}}""", "input", "sent more than once")]
    [InlineData("""{"module": "conv3x3_int8", "input": "AAAA"}""", "input", "expected an object {shape, data} (or null), found a string")]
    public void A_tensor_field_that_could_mean_two_things_is_refused_naming_its_path(string body, string field, string detail)
    {
        var problem = Assert.Throws<ApiProblem>(() => Parse(Encoding.UTF8.GetBytes(body), Blobs));

        Assert.Equal((400, field), (problem.Status, problem.Field));
        Assert.Contains(detail, problem.Message);
        Assert.DoesNotContain("System.", problem.Message);
    }

    [Fact]
    public void Strings_are_bounded_before_they_are_decoded()
    {
        var key = new string('k', RequestRules.MaxIdempotencyKeyLength + 1);
        var body = $$"""{"idempotencyKey": "{{key}}"}""";

        var problem = Assert.Throws<ApiProblem>(() => Parse(Encoding.UTF8.GetBytes(body), Blobs));

        Assert.Equal(("idempotencyKey", "idempotencyKey: at most 200 characters, found 201"), (problem.Field, problem.Message));
        var module = Assert.Throws<ApiProblem>(() => Parse(Encoding.UTF8.GetBytes($$"""{"module": "{{new string('m', 500_000)}}"}"""), Blobs));
        Assert.Equal(("module", "module: at most 128 characters, found more"), (module.Field, module.Message));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(65536)]
    public void Invalid_base64_cut_by_the_stream_is_refused_naming_the_field(int readSize)
    {
        var good = Convert.ToBase64String(Bytes(100_000, seed: 10));
        foreach (var bad in new[]
        {
            good[..70_001] + "!" + good[70_002..],       // a character that is not base64, past the first 64 KiB of text
            good[..50_000] + "==" + good[50_002..],      // padding in the middle
            good[..^1],                                  // a length that is not a multiple of 4
            good[..^4] + "\\u00e9AAA",                   // an escaped character that is not base64
        })
        {
            var body = $$$"""{"module": "conv3x3_int8", "input": {"shape": [1, 1, 250, 400], "data": "{{{bad}}}"}, "weights": {"shape": [1, 1, 3, 3], "data": "AAAAAAAAAAAA"}}""";

            var problem = Assert.Throws<ApiProblem>(() => Parse(Encoding.UTF8.GetBytes(body), Blobs, readSize));

            Assert.Equal("input.data", problem.Field);
            Assert.StartsWith("not valid base64", problem.Message);
        }
        Assert.Empty(Directory.Exists(_directory) ? Directory.GetFiles(_directory) : []);
    }

    [Fact]
    public void A_streamed_input_longer_than_its_shape_is_refused_naming_input_before_the_rest_is_read()
    {
        var input = Bytes(1_000_000, seed: 11);
        var body = new MemoryStream(Body("conv3x3_int8", [1, 1, 100, 1000], input, [1, 1, 3, 3], Bytes(9, seed: 12)));

        var refused = Assert.Throws<ConvolutionException>(() => SubmitJobReader.ReadAsync(body, "t", Blobs).GetAwaiter().GetResult());

        Assert.Equal("input", refused.Field);
        Assert.Contains("needs 100000 bytes, found more", refused.Message);
        Assert.True(body.Position < body.Length / 2, $"read {body.Position} of {body.Length} bytes");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_streamed_input_shorter_than_its_shape_is_refused_naming_input_whether_the_module_came_first_or_last(bool moduleFirst)
    {
        var tensors = "\"input\": {\"shape\": [1, 1, 500, 500], \"data\": \"" + Convert.ToBase64String(Bytes(200_000, seed: 13))
            + "\"}, \"weights\": {\"shape\": [1, 1, 3, 3], \"data\": \"AAAAAAAAAAAA\"}";
        const string module = "\"module\": \"conv3x3_int8\"";
        var body = moduleFirst ? $"{{{module}, {tensors}}}" : $"{{{tensors}, {module}}}";

        var refused = Assert.Throws<ConvolutionException>(() => Parse(Encoding.UTF8.GetBytes(body), Blobs));

        Assert.Equal("input", refused.Field);
        Assert.Contains("needs 250000 bytes, found 200000", refused.Message);
    }

    [Theory]
    [InlineData("""{"module": "conv3x3_int8", "input": {"shape": [1, 1, "x", 4], "data": ""}}""", "input.shape[2]")]
    [InlineData("""{"module": "conv3x3_int8", "input": {"shape": [1, 1, 4, 4, 1], "data": ""}}""", "input.shape")]
    [InlineData("""{"module": "conv3x3_int8", "bias": [1, 2.5]}""", "bias[1]")]
    [InlineData("""{"module": "conv3x3_int8", "input": {"shape": [1, 1, 4, 4], "data": 5}}""", "input.data")]
    [InlineData("""{"module": "conv3x3_int8", "input": {"shape": [1, 1, 4, 4], "data": "AA\q"}}""", "input.data")]
    [InlineData("""{"module": "conv3x3_int8", "input": {"shape": [1, 1, 4, 4], "data": "AAAA""", "input.data")]
    [InlineData("""{"module": 7}""", "module")]
    [InlineData("""{"module": "conv3x3_int8", "deadline": "soon"}""", "deadline")]
    [InlineData("""{"module": "conv3x3_int8", "input": [1]}""", "input")]
    [InlineData("""{"module": "conv3x3_int8"} x""", "body")]
    [InlineData("""[{"module": "conv3x3_int8"}]""", "body")]
    [InlineData("""null""", "body")]
    [InlineData("", "body")]
    [InlineData("""{"module": "conv3x3_int8", "input": {"shape": [1, 1, 4, 4]}, "weights": {"shape": [1, 1, 3, 3], "data": ""}}""", "input.data")]
    [InlineData("""{"module": "conv3x3_int8", "input": {"shape": [1, 1, 4, 4], "data": ""}, "weights": {"data": ""}}""", "weights.shape")]
    public void Bad_bodies_are_refused_naming_the_path(string body, string field)
    {
        foreach (var readSize in new[] { 1, 4096 })
        {
            var problem = Assert.Throws<ApiProblem>(() => Parse(Encoding.UTF8.GetBytes(body), Blobs, readSize));

            Assert.Equal((400, field), (problem.Status, problem.Field));
        }
    }

    [Fact]
    public void A_shape_that_claims_more_than_any_array_holds_sizes_nothing_before_the_bytes_arrive()
    {
        var input = Convert.ToBase64String(new byte[64]);
        var body = $$$"""{"module": "conv3x3_int32", "input": {"shape": [1, 1, 4, 4], "data": "{{{input}}}"}, "weights": {"shape": [2147483647, 2147483647, 3, 3], "data": "AAAA"}}""";

        using var submission = Parse(Encoding.UTF8.GetBytes(body), Blobs);

        Assert.Equal(3, submission.Request.Weights.Length);
        Assert.Equal("weights", Assert.Throws<ConvolutionException>(() => submission.Request.Check()).Field);
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private static JobSubmission Parse(byte[] body, IBlobStore blobs, int readSize = int.MaxValue) =>
        SubmitJobReader.ReadAsync(new ChunkedStream(body, readSize), "test", blobs).GetAwaiter().GetResult();

    /// <summary>A body as clients send it: System.Text.Json with the API's options (module and shapes before the data).</summary>
    private static byte[] Body(string module, int[] inputShape, byte[] input, int[] weightShape, byte[] weights) =>
        JsonSerializer.SerializeToUtf8Bytes(
            new SubmitJobDto(module, new TensorDto(inputShape, Convert.ToBase64String(input)), new TensorDto(weightShape, Convert.ToBase64String(weights))),
            ApiJson.Options);

    private static byte[] Bytes(int count, int seed)
    {
        var bytes = new byte[count];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>A body that arrives at most <c>readSize</c> bytes a read, as from a slow network.</summary>
    private sealed class ChunkedStream(byte[] body, int readSize) : MemoryStream(body, writable: false)
    {
        public override int Read(Span<byte> buffer) => base.Read(buffer[..Math.Min(buffer.Length, readSize)]);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, readSize)], cancellationToken);
    }
}
