using Dpr.Actors.Audit;
using Dpr.Host.Service;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Dpr.Host.Api;

/// <summary>
/// <c>GET /v1/audit</c> (admin, paged), and <see cref="Audited"/>: the filter that records an admin endpoint's
/// every call by an admin — who (tenant and key name), from where, what, to what, when, and how it ended
/// (the status answered, the reason of a failure) — in the <see cref="AuditLog"/>.
/// </summary>
public static class AuditEndpoints
{
    private const string DetailItem = "dpr.audit.detail";
    private const string TargetItem = "dpr.audit.target";

    public static void MapAudit(this RouteGroupBuilder v1) =>
        v1.MapGet("/audit", async (AuditLog audit, int? limit, string? before, CancellationToken cancel) =>
        {
            var take = limit ?? 50;
            if (take is < 1 or > AuditLog.MaxPage)
            {
                throw ApiProblem.BadInput("limit", $"expected 1 to {AuditLog.MaxPage}, found {take}");
            }
            try
            {
                return await audit.PageAsync(take, before, cancel);
            }
            catch (FormatException)
            {
                throw ApiProblem.BadInput("before", "not a cursor of the audit trail (pass the 'next' of the previous page)");
            }
        }).RequireAdmin().WithSummary("The audit trail: admin actions and tenant changes, newest first, paged (admin)");

    /// <summary>
    /// Records every call of the endpoint that passed <see cref="TenantAuth.RequireAdmin"/> (add it after that), with the
    /// route value <paramref name="target"/> as its target. The answer waits for the entry to be stored, at most
    /// <c>Dpr:AskTimeoutSeconds</c>; with <paramref name="wait"/> false not at all (an injected journal outage would hold it).
    /// </summary>
    public static RouteHandlerBuilder Audited(this RouteHandlerBuilder endpoint, string action, string? target = null, bool wait = true) =>
        endpoint.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            object? result;
            try
            {
                result = await next(context);
            }
            catch (Exception e)
            {
                var (status, reason) = e switch
                {
                    ApiProblem problem => (problem.Status, problem.Message),
                    BadHttpRequestException bad => (bad.StatusCode, bad.Message),
                    OperationCanceledException when http.RequestAborted.IsCancellationRequested => (499, "the client went away"),
                    _ => (StatusCodes.Status500InternalServerError, $"an unexpected error ({e.GetType().Name})"),
                };
                await RecordAsync(http, action, target, status, reason, wait);
                throw;
            }
            var code = result is IStatusCodeHttpResult { StatusCode: { } set } ? set : StatusCodes.Status200OK;
            await RecordAsync(http, action, target, code, null, wait);
            return result;
        });

    /// <summary>What the entry of this request says besides its action and target (the module loaded, the key made).</summary>
    public static void Note(HttpContext http, string detail) => http.Items[DetailItem] = detail;

    /// <summary>The target of this request's entry when it is in the body rather than the route (the tenant added).</summary>
    public static void Target(HttpContext http, string? target) => http.Items[TargetItem] = target;

    /// <summary>Where a request came from, as logged and recorded: its address, or <c>local</c> (in-process, a Unix socket).</summary>
    public static string SourceOf(HttpContext http) => http.Connection.RemoteIpAddress is { } address
        ? (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString()
        : "local";

    private static async Task RecordAsync(HttpContext http, string action, string? target, int status, string? reason, bool wait)
    {
        var (tenant, key) = TenantAuth.Identity(http);
        var entry = new AuditEvents.ActionRecorded(
            DateTimeOffset.UtcNow, tenant.Name, key.Name, SourceOf(http), action,
            http.Items[TargetItem] as string ?? (target is null ? null : http.Request.RouteValues[target]?.ToString()),
            http.Items[DetailItem] as string,
            status < 400 ? "ok" : "failed", status, reason);
        var recording = http.RequestServices.GetRequiredService<AuditLog>().RecordAsync(entry);
        if (wait)
        {
            var options = http.RequestServices.GetRequiredService<ServiceOptions>();
            await Task.WhenAny(recording, Task.Delay(options.AskTimeout));
        }
    }
}
