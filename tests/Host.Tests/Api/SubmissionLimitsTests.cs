using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dpr.Host.Api;
using Dpr.TestKit;

namespace Dpr.Host.Tests.Api;

/// <summary>
/// What <c>POST /v1/jobs</c> refuses before a job is accepted — a pass larger than the partition's DMA
/// buffer, a body past its size however it is sent, a large body past the bound read at once — and a
/// result larger than one chunk streamed back whole.
/// </summary>
public class SubmissionLimitsTests
{
    [Fact]
    public async Task A_job_whose_pass_does_not_fit_the_dma_buffer_is_refused_at_submission_naming_it()
    {
        await using var server = await ApiServer.StartAsync();
        // As wide as the line buffer takes; raw output is 8 bytes an element: 8,184,000 + 65,472,000 bytes, the partition has 64 MiB.
        var job = new SubmitJobDto("conv3x3_int8", new TensorDto([1, 1, 4000, 2046], Convert.ToBase64String(new byte[4000 * 2046])),
            new TensorDto([1, 1, 3, 3], Convert.ToBase64String(new byte[9])), Output: "raw");

        var response = await server.Client("alice").PostAsJsonAsync("/v1/jobs", job, ApiJson.Options);

        var problem = await ApiTests.AssertProblem(response, HttpStatusCode.BadRequest, "input.shape");
        Assert.Contains("partition 'conv' cannot run this job: a pass needs 73,656,000 bytes of DMA buffer; the partition has 67,108,864", problem.GetProperty("detail").GetString());
        // Refused before it was stored: no blob, no temporary file, no job.
        var blobs = Path.Combine(server.Data, "blobs");
        Assert.Empty(Directory.Exists(blobs) ? Directory.GetFiles(blobs) : []);
        Assert.Empty((await server.Client("alice").GetFromJsonAsync<JobListDto>("/v1/jobs", ApiJson.Options))!.Jobs);
    }

    [Fact]
    public async Task An_image_wider_than_the_modules_line_buffer_is_refused_at_submission_naming_it()
    {
        await using var server = await ApiServer.StartAsync();
        var job = TestJobs.Make("conv5x5_int8", [1, 1, 1, 2045], [1, 1, 5, 5], seed: 24).Job;

        var response = await server.Client("alice").PostAsJsonAsync("/v1/jobs", job, ApiJson.Options);

        var problem = await ApiTests.AssertProblem(response, HttpStatusCode.BadRequest, "input.shape");
        Assert.Contains("an image 2045 wide is wider than conv5x5_int8's line buffer takes (2044, CAPS.MAX_WIDTH)", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_chunked_body_past_max_request_bytes_is_413_counted_on_the_bytes_read()
    {
        await using var server = await ApiServer.StartAsync(new Dictionary<string, string?> { ["Dpr:MaxRequestBytes"] = $"{1 << 20}" });
        using var body = new EndlessBody();
        var content = new StreamContent(body);
        content.Headers.ContentType = new("application/json");

        var response = await server.Client("alice").PostAsync("/v1/jobs", content);

        var problem = await ApiTests.AssertProblem(response, HttpStatusCode.RequestEntityTooLarge, "body");
        Assert.Contains("larger than 1048576 bytes (Dpr:MaxRequestBytes)", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Past_the_bound_of_large_bodies_read_at_once_a_submission_is_503_with_retry_after()
    {
        await using var server = await ApiServer.StartAsync(new Dictionary<string, string?> { ["Dpr:MaxLargeBodies"] = "1", ["Dpr:LargeBodyBytes"] = "65536" });
        var large = (LargeBodies)server.Services.GetService(typeof(LargeBodies))!;
        var client = server.Client("alice");
        var job = TestJobs.Make("conv3x3_int8", [1, 1, 300, 300], [1, 1, 3, 3], seed: 21).Job;
        var json = JsonSerializer.SerializeToUtf8Bytes(job, ApiJson.Options);
        // A chunked body that stops three quarters of the way: it takes the one slot once past 64 KiB, and holds it.
        var held = new HeldContent(json, json.Length * 3 / 4);
        var first = client.PostAsync("/v1/jobs", held);
        await Eventually.TrueAsync(() => large.Reading == 1, "the large body is being read", TimeSpan.FromSeconds(30));

        var refused = await client.PostAsJsonAsync("/v1/jobs", job with { IdempotencyKey = "second" }, ApiJson.Options);

        var problem = await ApiTests.AssertProblem(refused, HttpStatusCode.ServiceUnavailable, "body");
        Assert.Contains("Dpr:MaxLargeBodies", problem.GetProperty("detail").GetString());
        Assert.True(refused.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
        // A small body is not held to the bound.
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsJsonAsync("/v1/jobs", TestJobs.Make("conv3x3_int8", [1, 1, 8, 8], [1, 1, 3, 3], seed: 22).Job, ApiJson.Options)).StatusCode);

        held.Release();
        Assert.Equal(HttpStatusCode.Accepted, (await first).StatusCode);
        Assert.Equal(0, large.Reading);
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsJsonAsync("/v1/jobs", job with { IdempotencyKey = "second" }, ApiJson.Options)).StatusCode);
    }

    [Fact]
    public async Task A_result_larger_than_a_chunk_is_streamed_with_the_fields_of_ResultDto()
    {
        await using var server = await ApiServer.StartAsync();
        var client = server.Client("alice");
        // 81,920 bytes of output, read and encoded 48 KiB at a time; the input goes through the blob store.
        var (job, expected) = TestJobs.Make("conv3x3_int8", [1, 1, 256, 320], [1, 1, 3, 3], seed: 23, shift: 4);
        var id = (await TestJobs.SubmitAsync(client, job)).Id;
        Assert.Equal("completed", (await TestJobs.WaitAsync(client, id)).State);

        var response = await client.GetAsync($"/v1/jobs/{id}/result");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var result = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(["shape", "data", "precision", "ranOn"], result.RootElement.EnumerateObject().Select(p => p.Name));
        var dto = result.RootElement.Deserialize<ResultDto>(ApiJson.Options)!;
        Assert.Equal([1, 1, 256, 320], dto.Shape);
        Assert.Equal(expected, Convert.FromBase64String(dto.Data));
        Assert.Equal(("int8", "conv"), (dto.Precision, dto.RanOn));
    }

    /// <summary>A body of no announced length that never ends: <c>{"module": ..., "data": "AAAA...</c>.</summary>
    private sealed class EndlessBody : Stream
    {
        private readonly byte[] _start = Encoding.ASCII.GetBytes("""{"module": "conv3x3_int8", "input": {"shape": [1, 1, 4096, 4096], "data": """ + "\"");
        private long _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            for (var i = 0; i < count; i++, _position++)
            {
                buffer[offset + i] = _position < _start.Length ? _start[_position] : (byte)'A';
            }
            return count;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>A body of no announced length sent up to <c>held</c> bytes, the rest once released.</summary>
    private sealed class HeldContent : HttpContent
    {
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly byte[] _body;
        private readonly int _held;

        public HeldContent(byte[] body, int held)
        {
            _body = body;
            _held = held;
            Headers.ContentType = new("application/json");
        }

        public void Release() => _release.SetResult();

        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
        {
            await stream.WriteAsync(_body.AsMemory(0, _held));
            await stream.FlushAsync();
            await _release.Task;
            await stream.WriteAsync(_body.AsMemory(_held));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
