using System.Net;
using System.Text.Json;
using Dpr.Host.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Dpr.Host.Tests.Api;

/// <summary>Every error answer is an RFC 7807 problem with a correlation id, an unexpected failure included.</summary>
public class ProblemResponsesTests : IAsyncLifetime
{
    private ApiServer _server = null!;

    public async Task InitializeAsync() => _server = await ApiServer.StartAsync(routes: app =>
    {
        app.MapGet("/test/boom", string () => throw new InvalidOperationException("a bug"));
        app.MapGet("/test/empty", () => Results.StatusCode(StatusCodes.Status418ImATeapot));
    });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task An_unexpected_exception_is_a_500_problem_naming_its_correlation_id()
    {
        var response = await _server.Client(null).GetAsync("/test/boom");

        var problem = await ApiTests.AssertProblem(response, HttpStatusCode.InternalServerError, "server");
        var id = problem.GetProperty("correlationId").GetString();
        Assert.False(string.IsNullOrEmpty(id));
        Assert.Equal(id, response.Headers.GetValues(ProblemResponses.CorrelationHeader).Single());
        Assert.Contains(id!, problem.GetProperty("detail").GetString());
        Assert.DoesNotContain("a bug", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task The_callers_correlation_id_is_kept_and_a_hostile_one_replaced()
    {
        var client = _server.Client("alice");
        using var kept = new HttpRequestMessage(HttpMethod.Get, "/v1/nothing") { Headers = { { ProblemResponses.CorrelationHeader, "req-42.a" } } };
        var problem = await ApiTests.AssertProblem(await client.SendAsync(kept), HttpStatusCode.NotFound, "path");
        Assert.Equal("req-42.a", problem.GetProperty("correlationId").GetString());

        using var hostile = new HttpRequestMessage(HttpMethod.Get, "/v1/nothing") { Headers = { { ProblemResponses.CorrelationHeader, new string('x', 65) } } };
        var replaced = await ApiTests.AssertProblem(await client.SendAsync(hostile), HttpStatusCode.NotFound, "path");
        Assert.NotEqual(new string('x', 65), replaced.GetProperty("correlationId").GetString());
    }

    [Fact]
    public async Task A_status_set_without_a_body_gets_a_problem()
    {
        var teapot = await ApiTests.AssertProblem(await _server.Client(null).GetAsync("/test/empty"), (HttpStatusCode)418, "request");
        Assert.Equal(JsonValueKind.String, teapot.GetProperty("correlationId").ValueKind);
    }
}
