using Dpr.Host.Service;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Dpr.Host.Api;

/// <summary>
/// <c>/v1/tenants</c> (admin): tenants and their keys — list, look up, add, rotate (one more key, or one that
/// replaces the others) and revoke. The same changes as <c>dpr tenants</c>, on the same file (<see cref="TenantStore"/>);
/// a revoked key is refused from the next request on. Every change is in the audit trail.
/// </summary>
public static class TenantEndpoints
{
    public static void MapTenants(this RouteGroupBuilder v1)
    {
        v1.MapGet("/tenants", (TenantStore tenants) => new TenantListDto([.. tenants.All.Select(t => new TenantDto(t.Name, t.Admin, t.Created))]))
            .RequireAdmin().WithSummary("Every tenant (admin)");
        v1.MapGet("/tenants/{name}", (string name, TenantStore tenants) =>
            tenants.Find(name) is { } tenant ? Detail(tenant) : throw ApiProblem.NotFound("name", $"no tenant '{name}'"))
            .RequireAdmin().WithSummary("A tenant and its keys: names, first characters, creation times (admin)");
        v1.MapPost("/tenants", async (HttpContext http, TenantStore tenants, DprNode node) =>
        {
            var body = await JobEndpoints.ReadJsonAsync<NewTenantDto>(http, node.Limits);
            AuditEndpoints.Target(http, body.Name);
            AuditEndpoints.Note(http, body.Admin ? "admin" : "tenant");
            var key = Change(() => tenants.Add(body.Name ?? "", body.Admin));
            return Results.Created($"/v1/tenants/{body.Name}", new TenantKeyDto(body.Name!, body.Admin, key));
        }).RequireAdmin().Audited("tenant.add").Accepts<NewTenantDto>("application/json")
            .Produces<TenantKeyDto>(StatusCodes.Status201Created).ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Make a tenant and its key, shown only now (admin)");
        v1.MapPost("/tenants/{name}/keys", async (string name, HttpContext http, TenantStore tenants, DprNode node) =>
        {
            // No body (or an empty one) means the defaults.
            var body = http.Request.ContentLength == 0 || (http.Request.ContentLength is null && http.Request.ContentType is null)
                ? new RotateKeyDto()
                : await JobEndpoints.ReadJsonAsync<RotateKeyDto>(http, node.Limits);
            var (key, made, revoked) = Change(() => tenants.Rotate(name, body.Name, body.Replace));
            AuditEndpoints.Note(http, $"key {made.Name} ({made.Prefix}…){(revoked.Count > 0 ? $", revoked {string.Join(", ", revoked.Select(k => k.Name))}" : "")}");
            return Results.Created($"/v1/tenants/{name}", new RotatedKeyDto(name, made.Name, made.Prefix!, key, [.. revoked.Select(Dto)]));
        }).RequireAdmin().Audited("key.rotate", "name").Accepts<RotateKeyDto>("application/json").Produces<RotatedKeyDto>(StatusCodes.Status201Created)
            .WithSummary("Give a tenant another key, shown only now; with replace its other keys are revoked (admin)");
        v1.MapDelete("/tenants/{name}/keys/{key}", (string name, string key, HttpContext http, TenantStore tenants) => Revoke(http, tenants, name, key))
            .RequireAdmin().Audited("key.revoke", "name").WithSummary("Revoke a tenant's key, by name or prefix; refused from the next request on (admin)");
        v1.MapDelete("/tenants/{name}/keys", (string name, HttpContext http, TenantStore tenants) => Revoke(http, tenants, name, null))
            .RequireAdmin().Audited("key.revoke", "name").WithSummary("Revoke every key of a tenant (admin)");
    }

    private static RevokedKeysDto Revoke(HttpContext http, TenantStore tenants, string name, string? key)
    {
        AuditEndpoints.Note(http, key is null ? "every key" : $"key {key}");
        var revoked = Change(() => tenants.Revoke(name, key));
        AuditEndpoints.Note(http, $"{(key is null ? "every key: " : "key ")}{string.Join(", ", revoked.Select(k => k.Prefix is null ? k.Name : $"{k.Name} ({k.Prefix}…)"))}");
        return new RevokedKeysDto(name, [.. revoked.Select(Dto)]);
    }

    private static TenantDetailDto Detail(Tenant tenant) => new(tenant.Name, tenant.Admin, tenant.Created, [.. tenant.Keys.Select(Dto)]);

    private static KeyDto Dto(TenantKey key) => new(key.Name, key.Prefix, key.Created);

    private static T Change<T>(Func<T> change)
    {
        try
        {
            return change();
        }
        catch (TenantChangeException e)
        {
            throw e.Error switch
            {
                TenantChangeError.Exists => new ApiProblem(StatusCodes.Status409Conflict, e.Field, e.Message),
                TenantChangeError.NotFound => ApiProblem.NotFound(e.Field, e.Message),
                _ => ApiProblem.BadInput(e.Field, e.Message),
            };
        }
    }
}
