using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Dpr.Host.Api;

/// <summary>
/// An RFC 7807 answer: thrown anywhere in a handler, written by <see cref="ProblemResponses"/> with
/// the field at fault, the request's correlation id and, for 429 and 503, a <c>Retry-After</c>.
/// </summary>
public sealed class ApiProblem(int status, string field, string detail, TimeSpan? retryAfter = null) : Exception(detail)
{
    public int Status { get; } = status;

    public string Field { get; } = field;

    public TimeSpan? RetryAfter { get; } = retryAfter;

    public static ApiProblem BadInput(string field, string detail) => new(StatusCodes.Status400BadRequest, field, detail);

    public static ApiProblem NotFound(string field, string detail) => new(StatusCodes.Status404NotFound, field, detail);

    public static ApiProblem Conflict(string detail) => new(StatusCodes.Status409Conflict, "state", detail);

    /// <summary>507: the data directory's disk is (nearly) full; <paramref name="detail"/> names it and its free bytes.</summary>
    public static ApiProblem InsufficientStorage(string detail) => new(StatusCodes.Status507InsufficientStorage, "disk", detail);

    public static ApiProblem Unavailable(string detail, TimeSpan? retryAfter = null) =>
        new(StatusCodes.Status503ServiceUnavailable, "journal", detail, retryAfter ?? TimeSpan.FromSeconds(1));

    public static string TitleOf(int status) => status switch
    {
        400 => "Bad input",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not found",
        405 => "Method not allowed",
        409 => "Conflict",
        413 => "Request too large",
        415 => "Unsupported media type",
        429 => "Too many requests",
        500 => "Internal error",
        503 => "Service unavailable",
        507 => "Insufficient storage",
        _ => "Error",
    };

    public async Task WriteAsync(HttpContext context)
    {
        if (RetryAfter is { } wait)
        {
            context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }
        if (Status == StatusCodes.Status401Unauthorized)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
        }
        var problem = new ProblemDetails
        {
            Type = $"https://dpr.dev/problems/{TitleOf(Status).ToLowerInvariant().Replace(' ', '-')}",
            Title = TitleOf(Status),
            Status = Status,
            Detail = Message,
            Instance = context.Request.Path,
            Extensions = { ["field"] = Field, ["correlationId"] = context.TraceIdentifier },
        };
        context.Response.StatusCode = Status;
        await context.Response.WriteAsJsonAsync(problem, ApiJson.Options, "application/problem+json");
    }
}
