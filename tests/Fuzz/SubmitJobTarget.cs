using System.Text;
using System.Text.Json;
using Dpr.Fabric.Convolution;
using Dpr.Host.Api;
using Microsoft.AspNetCore.Http;

namespace Dpr.Fuzz;

/// <summary>
/// The body of <c>POST /v1/jobs</c> as the endpoint handles it before anything is stored:
/// <see cref="JobEndpoints.ReadJsonAsync{T}"/> of a <see cref="SubmitJobDto"/> with the API's JSON
/// options, <c>JobEndpoints.ToRequest</c>, <c>JobRequest.Check</c>, and, for a request that passes,
/// <c>JobRequest.ToProblem</c> (what the dispatcher decodes later: a checked request must decode).
/// Expected: <see cref="ApiProblem"/> (400/413), <see cref="ConvolutionException"/>, <see cref="JsonException"/>.
/// </summary>
public sealed class SubmitJobTarget : IFuzzTarget
{
    /// <summary>Dpr:MaxRequestBytes' default.</summary>
    private const long MaxRequestBytes = 64 * 1024 * 1024;

    public string Name => "http-submit";

    public string Description => "JobEndpoints.ReadJsonAsync<SubmitJobDto>, ToRequest, JobRequest.Check, JobRequest.ToProblem";

    public void Run(byte[] input)
    {
        var http = new DefaultHttpContext();
        http.Request.Body = new MemoryStream(input, writable: false);
        http.Request.ContentLength = input.Length;
        try
        {
            var body = JobEndpoints.ReadJsonAsync<SubmitJobDto>(http, MaxRequestBytes).GetAwaiter().GetResult();
            var request = JobEndpoints.ToRequest("fuzz", body).Check();
            _ = request.ToProblem();
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
