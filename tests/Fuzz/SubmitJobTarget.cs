using System.Text;
using System.Text.Json;
using Dpr.Actors.Jobs;
using Dpr.Fabric.Convolution;
using Dpr.Host.Api;
using Microsoft.AspNetCore.Http;

namespace Dpr.Fuzz;

/// <summary>
/// The body of <c>POST /v1/jobs</c> as the endpoint handles it before anything is accepted: read through
/// <see cref="BoundedBody"/> by <see cref="SubmitJobReader"/> (the request rules: exact field names, each once, numbers as numbers, the
/// tensors' base64 decoded as it streams, an input over the inline limit into a blob upload),
/// <c>JobRequest.Check</c>, and, for a request that passes, its input stored and
/// <c>JobRequest.ToProblem</c> (what the dispatcher decodes later: a checked request must decode).
/// Expected: <see cref="ApiProblem"/> (400/413), <see cref="ConvolutionException"/>, <see cref="JsonException"/>.
/// </summary>
public sealed class SubmitJobTarget : IFuzzTarget
{
    /// <summary>Dpr:MaxRequestBytes' default on a 512 MiB board.</summary>
    private const long MaxRequestBytes = 64 * 1024 * 1024;

    /// <summary>Made on the first input, not with the target: the targets are made before SharpFuzz sets up its
    /// shared memory, and instrumented code run before that writes through a null pointer.</summary>
    private readonly Lazy<BlobStore> _store = new(() => new(Path.Combine(Path.GetTempPath(), $"dpr-fuzz-blobs-{Environment.ProcessId}")));

    private BlobStore Blobs => _store.Value;

    public string Name => "http-submit";

    public string Description => "SubmitJobReader.ReadAsync (through BoundedBody), JobRequest.Check, JobRequest.ToProblem";

    public void Run(byte[] input)
    {
        var http = new DefaultHttpContext();
        http.Request.Body = new MemoryStream(input, writable: false);
        http.Request.ContentLength = input.Length;
        try
        {
            using var body = new BoundedBody(http.Request, MaxRequestBytes, "Dpr:MaxRequestBytes");
            using var submission = SubmitJobReader.ReadAsync(body, "fuzz", Blobs).GetAwaiter().GetResult();
            var request = submission.Request.Check();
            submission.StoreInput();
            _ = request.Inline(Blobs).ToProblem();
            if (request.InputBlob is { } key)
            {
                Blobs.Delete(key, TimeSpan.Zero);
            }
        }
        catch (ApiProblem)
        {
        }
        catch (ConvolutionException)
        {
        }
        catch (JsonException)
        {
        }
    }

    public IEnumerable<byte[]> Dictionary => Tokens.Of(
        "\"module\"", "\"input\"", "\"weights\"", "\"shape\"", "\"data\"", "\"bias\"", "\"shift\"", "\"stride\"",
        "\"padding\"", "\"output\"", "\"priority\"", "\"deadline\"", "\"cpuFallback\"", "\"idempotencyKey\"",
        "\"same\"", "\"valid\"", "\"requantized\"", "\"raw\"", "\"conv3x3_int8\"", "\"conv5x5_int16\"", "\"conv3x3_int32\"",
        "\"2026-12-24T10:00:00+00:00\"", "null", "true", "false", "-1", "0", "2147483647", "2147483648", "-9223372036854775808",
        "1e308", "[1,1,4,4]", "[]", "{}", "\"AAAA\"", "\"/w==\"", "\\u0000");

    public IEnumerable<Seed> Seeds(FixtureDirectory fixtures)
    {
        // The README's request, and one per module with the optional fields set.
        var ones9 = Convert.ToBase64String(Enumerable.Repeat((byte)1, 9).ToArray());
        var image16 = Convert.ToBase64String(Enumerable.Range(1, 16).Select(i => (byte)i).ToArray());
        yield return Json("readme.json", $$"""{"module":"conv3x3_8bit","input":{"shape":[1,1,4,4],"data":"{{image16}}"},"weights":{"shape":[1,1,3,3],"data":"{{ones9}}"},"shift":2}""");
        foreach (var module in ConvModule.All)
        {
            var width = module.Bits / 8;
            var k = module.KernelSize;
            var input = Convert.ToBase64String(new byte[2 * 6 * 6 * width].Select((_, i) => (byte)(i % 5)).ToArray());
            var weights = Convert.ToBase64String(new byte[3 * 2 * k * k * width].Select((_, i) => (byte)(i % 3)).ToArray());
            yield return Json($"{module.Name}.json", $$"""
                {"module":"{{module.Name}}","input":{"shape":[1,2,6,6],"data":"{{input}}"},"weights":{"shape":[3,2,{{k}},{{k}}],"data":"{{weights}}"},
                 "bias":[1,-2,3],"shift":1,"stride":1,"padding":"valid","output":"requantized","priority":3,
                 "deadline":"2026-12-24T10:00:00+00:00","cpuFallback":true,"idempotencyKey":"fuzz-{{module.Name}}"}
                """);
        }
    }

    private static Seed Json(string name, string text) => new(name, Encoding.UTF8.GetBytes(text));
}
