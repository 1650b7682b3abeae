using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Serilog.Context;

namespace Dpr.Host.Api;

/// <summary>
/// Every error answer is an RFC 7807 problem with a correlation id, never an empty body: a thrown
/// <see cref="ApiProblem"/> is written as itself, Kestrel's own refusals (413, a malformed request)
/// name their field, an unexpected exception is a 500 whose id is in the body and in the one log line
/// with its stack, and a status without a body (405 from routing, say) gets one.
/// <para>
/// The correlation id is the caller's <c>X-Correlation-Id</c> when it is a short token, else the
/// request's own id; it is echoed in that header on every answer and carried by every log line of the
/// request (<c>CorrelationId</c>).
/// </para>
/// </summary>
public static partial class ProblemResponses
{
    public const string CorrelationHeader = "X-Correlation-Id";

    public static IApplicationBuilder UseProblemResponses(this IApplicationBuilder app)
    {
        var log = app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger("Dpr.Host.Api");
        app.Use(async (context, next) =>
        {
            if (context.Request.Headers[CorrelationHeader].ToString() is { Length: > 0 } given && Token().IsMatch(given))
            {
                context.TraceIdentifier = given;
            }
            context.Response.Headers[CorrelationHeader] = context.TraceIdentifier;
            using var scope = LogContext.PushProperty("CorrelationId", context.TraceIdentifier);
            try
            {
                await next(context);
            }
            catch (ApiProblem problem) when (!context.Response.HasStarted)
            {
                await problem.WriteAsync(context);
            }
            catch (BadHttpRequestException e) when (!context.Response.HasStarted)
            {
                await new ApiProblem(e.StatusCode, e.StatusCode == StatusCodes.Status413PayloadTooLarge ? "body" : "request", e.Message).WriteAsync(context);
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
                // The client went away: nobody to answer.
            }
            catch (Exception e) when (!context.Response.HasStarted)
            {
                log.LogError(e, "Unexpected error {CorrelationId} on {Method} {Path}", context.TraceIdentifier, context.Request.Method, context.Request.Path);
                context.Response.Clear();
                context.Response.Headers[CorrelationHeader] = context.TraceIdentifier;
                await new ApiProblem(StatusCodes.Status500InternalServerError, "server",
                    $"an unexpected error ({e.GetType().Name}); the service log has it under correlation id {context.TraceIdentifier}").WriteAsync(context);
            }
        });
        // Statuses set without a body (405 from routing, 415...) get a problem too.
        app.UseStatusCodePages(async pages =>
        {
            var status = pages.HttpContext.Response.StatusCode;
            await new ApiProblem(status, "request", ReasonPhrases.GetReasonPhrase(status) is { Length: > 0 } reason ? $"{reason}: {pages.HttpContext.Request.Method} {pages.HttpContext.Request.Path}" : $"status {status}")
                .WriteAsync(pages.HttpContext);
        });
        return app;
    }

    [GeneratedRegex("^[A-Za-z0-9._:-]{1,64}$")]
    private static partial Regex Token();
}
