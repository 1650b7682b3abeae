using Dpr.Host.Service;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Dpr.Host.Api;

/// <summary>
/// <c>Authorization: Bearer KEY</c> → the caller's <see cref="Tenant"/> and which of its keys, or a 401 counted
/// and logged by <see cref="AuthFailures"/>.
/// </summary>
public static class TenantAuth
{
    private const string Item = "dpr.tenant";

    /// <summary>Authenticates every request of a route group.</summary>
    public static RouteGroupBuilder RequireTenant(this RouteGroupBuilder group)
    {
        group.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            http.Items[Item] = Authenticate(http)
                ?? throw new ApiProblem(StatusCodes.Status401Unauthorized, "authorization", "send an API key as 'Authorization: Bearer KEY' (dpr tenants add NAME makes one)");
            return await next(context);
        });
        return group;
    }

    /// <summary>
    /// The tenant and key of the request's bearer key; null when it sends none. An unknown or revoked key is a 401
    /// (<see cref="ApiProblem"/>), counted and logged as an authentication failure, as is a missing key when
    /// <paramref name="keyRequired"/>.
    /// </summary>
    public static (Tenant Tenant, TenantKey Key)? Authenticate(HttpContext http, bool keyRequired = true)
    {
        var header = http.Request.Headers.Authorization.ToString();
        var failures = http.RequestServices.GetRequiredService<AuthFailures>();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || header.Length <= 7)
        {
            if (keyRequired)
            {
                failures.Record(http, header.Length == 0 ? "no key" : "not a bearer key", null);
            }
            return null;
        }
        var key = header[7..].Trim();
        var found = http.RequestServices.GetRequiredService<TenantStore>().Identify(key);
        if (found is null)
        {
            failures.Record(http, "unknown or revoked key", key);
            throw new ApiProblem(StatusCodes.Status401Unauthorized, "authorization", "unknown API key");
        }
        return found;
    }

    /// <summary>Only admin keys may call the endpoint (403 otherwise).</summary>
    public static RouteHandlerBuilder RequireAdmin(this RouteHandlerBuilder endpoint) =>
        endpoint.WithMetadata(AdminOnly.Instance).AddEndpointFilter(async (context, next) =>
        {
            var tenant = Caller(context.HttpContext);
            return !tenant.Admin
                ? throw new ApiProblem(StatusCodes.Status403Forbidden, "authorization", $"tenant '{tenant.Name}' is not an admin; this needs an admin key")
                : await next(context);
        });

    public static Tenant Caller(HttpContext context) => Identity(context).Tenant;

    /// <summary>The tenant and the key of an authenticated request.</summary>
    public static (Tenant Tenant, TenantKey Key) Identity(HttpContext context) =>
        context.Items[Item] as (Tenant, TenantKey)? ?? throw new InvalidOperationException("the route group does not authenticate");

    /// <summary>The metadata of an endpoint that <see cref="RequireAdmin"/> guards (the API document lists its 403).</summary>
    public sealed class AdminOnly
    {
        public static AdminOnly Instance { get; } = new();
    }
}
