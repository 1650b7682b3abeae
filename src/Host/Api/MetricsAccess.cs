using System.Net;
using System.Security.Cryptography;
using System.Text;
using Dpr.Host.Service;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Dpr.Host.Api;

/// <summary>
/// Who may read <c>/metrics</c> (they name tenants and modules): a caller presenting <c>Dpr:MetricsKey</c> or an
/// admin key as <c>Authorization: Bearer KEY</c>; without a key, only a caller on the loopback interface (or a
/// Unix socket), unless <c>Dpr:MetricsOpenOnLoopback</c> is false — behind a reverse proxy on the same host every
/// caller looks local. A key that is neither is refused (401) and counted as a failed authentication.
/// </summary>
public static class MetricsAccess
{
    public const string Path = "/metrics";

    public static IApplicationBuilder UseMetricsAccess(this IApplicationBuilder app, ServiceOptions options)
    {
        var metricsKey = options.MetricsKey is { Length: > 0 } set ? SHA256.HashData(Encoding.UTF8.GetBytes(set)) : null;
        return app.Use(async (context, next) =>
        {
            if (context.Request.Path.StartsWithSegments(Path, StringComparison.OrdinalIgnoreCase))
            {
                Check(context, metricsKey, options.MetricsOpenOnLoopback);
            }
            await next(context);
        });
    }

    private static void Check(HttpContext http, byte[]? metricsKey, bool openOnLoopback)
    {
        var header = http.Request.Headers.Authorization.ToString();
        if (metricsKey is not null && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
            && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(header[7..].Trim())), metricsKey))
        {
            return;
        }
        // Any other key is an admin's, or a tenant's that gets no more than a caller without a key (an unknown one is a 401 from here).
        var caller = TenantAuth.Authenticate(http, keyRequired: false);
        if (caller is { Tenant.Admin: true } || (openOnLoopback && IsLoopback(http)))
        {
            return;
        }
        if (caller is { } tenant)
        {
            throw new ApiProblem(StatusCodes.Status403Forbidden, "authorization", $"tenant '{tenant.Tenant.Name}' is not an admin; /metrics needs an admin key or Dpr:MetricsKey");
        }
        http.RequestServices.GetRequiredService<AuthFailures>().Record(http, "no key for /metrics", null);
        throw new ApiProblem(StatusCodes.Status401Unauthorized, "authorization",
            "/metrics needs 'Authorization: Bearer KEY' with Dpr:MetricsKey or an admin key (without one it answers only on the loopback interface; docs/api.md)");
    }

    /// <summary>The loopback interface, or no address at all (a Unix socket, the in-process test server).</summary>
    private static bool IsLoopback(HttpContext http) => http.Connection.RemoteIpAddress is not { } address || IPAddress.IsLoopback(address);
}
