using System.Text;
using Dpr.Host.Api;

namespace Dpr.Host.Tests.Api;

/// <summary>The small bodies (load, upsets, chaos, tenants) read by the request rules (<see cref="SmallJsonBody"/>), without a server.</summary>
public class SmallJsonBodyTests
{
    [Fact]
    public void A_body_by_the_documented_names_is_read_with_its_defaults()
    {
        var faults = SmallJsonBody.Read<ChaosPortFaultDto>("""{"kind": "hang", "hangSeconds": 2.5}"""u8);
        var upset = SmallJsonBody.Read<ChaosUpsetDto>("""{"partition": null, "static": true, "correctable": false}"""u8);

        Assert.Equal(new ChaosPortFaultDto("hang", 1, 2.5), faults);
        Assert.Equal(new ChaosUpsetDto(null, true, false), upset);
    }

    [Theory]
    [InlineData("""{"kind": "fail", "kind": "hang"}""", "kind", "kind: sent more than once")]
    [InlineData("""{"Kind": "fail"}""", "Kind", "Kind: unknown field (names are matched exactly; this object takes kind, count, hangSeconds)")]
    [InlineData("""{"count": "3"}""", "count", "count: expected an integer from -2147483648 to 2147483647, found a string")]
    [InlineData("""{"count": 1.0}""", "count", "count: expected an integer from -2147483648 to 2147483647, found 1.0")]
    [InlineData("""{"count": 3000000000}""", "count", "found 3000000000")]
    [InlineData("""{"count": null}""", "count", "count: expected an integer from -2147483648 to 2147483647, found null")]
    [InlineData("""{"hangSeconds": "30"}""", "hangSeconds", "hangSeconds: expected a number (or null), found a string")]
    [InlineData("""{"kind": ["fail"]}""", "kind", "kind: expected a string (or null), found an array")]
    [InlineData("""["fail"]""", "body", "body: expected a JSON object, found an array")]
    [InlineData("""null""", "body", "a JSON object is needed")]
    [InlineData("""{"kind": "fail"} {}""", "body", "not valid JSON at $")]
    public void A_small_body_that_could_mean_two_things_is_refused_naming_the_field(string body, string field, string detail)
    {
        var problem = Assert.Throws<ApiProblem>(() => SmallJsonBody.Read<ChaosPortFaultDto>(Encoding.UTF8.GetBytes(body)));

        Assert.Equal((400, field), (problem.Status, problem.Field));
        Assert.Contains(detail, problem.Message);
        Assert.DoesNotContain("System.", problem.Message);
    }

    [Fact]
    public void A_string_longer_than_its_bound_is_refused()
    {
        var body = $$"""{"kind": "{{new string('x', RequestRules.MaxStringLength + 1)}}"}""";

        var problem = Assert.Throws<ApiProblem>(() => SmallJsonBody.Read<ChaosPortFaultDto>(Encoding.UTF8.GetBytes(body)));

        Assert.Equal(("kind", "kind: at most 256 characters, found 257"), (problem.Field, problem.Message));
    }
}
