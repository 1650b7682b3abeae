using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;

namespace Dpr.Host.Api;

/// <summary>
/// A token bucket per API key (ASP.NET Core's rate limiter): each key may make <c>Dpr:RequestsPerSecondPerTenant</c>
/// requests a second, with a second's worth of burst; past it a 429 problem with Retry-After. Requests
/// without a key share one bucket per remote address. Keyed by a hash of the key, so the key is not kept.
/// </summary>
public static class TenantRateLimit
{
    public const string Policy = "tenant";

    public static RateLimitPartition<string> Partition(HttpContext http, int perSecond)
    {
        ArgumentNullException.ThrowIfNull(http);
        var authorization = http.Request.Headers.Authorization.ToString();
        var key = authorization.Length > 0
            ? Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(authorization)))
            : $"address:{http.Connection.RemoteIpAddress}";
        return RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = perSecond,
            TokensPerPeriod = Math.Max(1, perSecond / 10),
            ReplenishmentPeriod = TimeSpan.FromMilliseconds(100),
            QueueLimit = 0,
            AutoReplenishment = true,
        });
    }

    public static ValueTask RejectAsync(OnRejectedContext rejected, int perSecond)
    {
        ArgumentNullException.ThrowIfNull(rejected);
        var wait = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromSeconds(1);
        var problem = new ApiProblem(
            StatusCodes.Status429TooManyRequests,
            "rate",
            string.Create(CultureInfo.InvariantCulture, $"more than {perSecond} requests a second with this key (Dpr:RequestsPerSecondPerTenant); retry after {Math.Max(1, Math.Ceiling(wait.TotalSeconds))} s"),
            wait);
        return new ValueTask(problem.WriteAsync(rejected.HttpContext));
    }
}
