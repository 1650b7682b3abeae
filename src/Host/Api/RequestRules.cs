using System.Text.Json;
using Dpr.Actors.Jobs;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Dpr.Host.Api;

/// <summary>
/// One meaning per request (docs/api.md, "Request rules"): the bounds and character sets of the
/// identifiers and values every endpoint takes, and the words a refusal uses for a JSON value of the
/// wrong kind. A proxy or audit tool in front of the service that reads a request by these rules reads
/// what the service runs: no repeated field or query parameter, no name in another case, no number in
/// a string, no unknown field, nothing unbounded.
/// </summary>
public static class RequestRules
{
    /// <summary>The longest idempotency key, in characters (each a printable ASCII character but the space).</summary>
    public const int MaxIdempotencyKeyLength = JobRequest.MaxIdempotencyKeyLength;

    /// <summary>The longest module name or alias, and the longest partition name in a body.</summary>
    public const int MaxNameLength = 128;

    /// <summary>The longest <c>before</c> cursor of <c>GET /v1/swaps</c>: base64 of a few <c>partition:sequence</c> pairs.</summary>
    public const int MaxCursorLength = 1024;

    /// <summary>The longest string of any other field (<c>padding</c>, <c>output</c>, <c>deadline</c>, <c>kind</c>...).</summary>
    public const int MaxStringLength = 256;

    /// <summary>The lowest <c>priority</c> (<see cref="JobRequest.MinPriority"/>).</summary>
    public const int MinPriority = JobRequest.MinPriority;

    /// <summary>The highest <c>priority</c> (<see cref="JobRequest.MaxPriority"/>).</summary>
    public const int MaxPriority = JobRequest.MaxPriority;

    /// <summary>A JSON value's kind as docs/api.md names it: <c>a string</c>, <c>a number</c>, <c>true or false</c>...</summary>
    public static string Kind(JsonTokenType token) => token switch
    {
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        _ => "no value",
    };

    /// <summary>400: <paramref name="field"/> holds a value of another kind than <paramref name="expected"/>.</summary>
    public static ApiProblem WrongKind(string field, string expected, JsonTokenType found) =>
        ApiProblem.BadInput(field, $"{field}: expected {expected}, found {Kind(found)}");

    /// <summary>400: a field the endpoint does not take.</summary>
    public static ApiProblem Unknown(string field, IEnumerable<string> known) =>
        ApiProblem.BadInput(field, $"{field}: unknown field (names are matched exactly; this object takes {string.Join(", ", known)})");

    /// <summary>400: a field sent twice in one object, which a reader could take either way.</summary>
    public static ApiProblem Duplicate(string field) =>
        ApiProblem.BadInput(field, $"{field}: sent more than once; send each field once");

    /// <summary>An idempotency key: 1 to <see cref="MaxIdempotencyKeyLength"/> printable ASCII characters, no space.</summary>
    /// <exception cref="ApiProblem">400 naming <c>idempotencyKey</c>.</exception>
    public static void RequireIdempotencyKey(string key) =>
        RequireToken("idempotencyKey", key, MaxIdempotencyKeyLength);

    /// <summary>A module name or alias, or a partition's name: 1 to <see cref="MaxNameLength"/> printable ASCII characters, no space.</summary>
    /// <exception cref="ApiProblem">400 naming <paramref name="field"/>.</exception>
    public static void RequireName(string field, string name) => RequireToken(field, name, MaxNameLength);

    /// <summary>A priority from <see cref="MinPriority"/> to <see cref="MaxPriority"/>.</summary>
    /// <exception cref="ApiProblem">400 naming <c>priority</c>.</exception>
    public static void RequirePriority(long priority)
    {
        if (priority is < MinPriority or > MaxPriority)
        {
            throw ApiProblem.BadInput("priority", $"priority: expected an integer from {MinPriority} to {MaxPriority}, found {priority}");
        }
    }

    /// <summary>A string of another field: at most <see cref="MaxStringLength"/> characters.</summary>
    /// <exception cref="ApiProblem">400 naming <paramref name="field"/>.</exception>
    public static void RequireShort(string field, string value)
    {
        if (value.Length > MaxStringLength)
        {
            throw ApiProblem.BadInput(field, $"{field}: at most {MaxStringLength} characters, found {value.Length}");
        }
    }

    /// <summary>
    /// The query of a request: only the parameters named, each at most once and at most
    /// <paramref name="maxLength"/> characters; the value of each, or null when it was not sent.
    /// </summary>
    /// <exception cref="ApiProblem">400 naming the parameter: unknown, repeated or too long.</exception>
    public static string? Query(HttpRequest request, string name, IReadOnlyList<string> known, int maxLength = MaxStringLength)
    {
        foreach (var (key, values) in request.Query)
        {
            if (!known.Contains(key, StringComparer.Ordinal))
            {
                throw ApiProblem.BadInput(key, $"{key}: unknown query parameter (names are matched exactly; this endpoint takes {string.Join(", ", known)})");
            }
            if (values.Count > 1)
            {
                throw ApiProblem.BadInput(key, $"{key}: sent more than once; send each query parameter once");
            }
        }
        var value = request.Query.TryGetValue(name, out var sent) ? sent.ToString() : null;
        if (value is { Length: var length } && length > maxLength)
        {
            throw ApiProblem.BadInput(name, $"{name}: at most {maxLength} characters, found {length}");
        }
        return value;
    }

    /// <summary>An integer query parameter from <paramref name="min"/> to <paramref name="max"/>, written in decimal digits.</summary>
    /// <exception cref="ApiProblem">400 naming the parameter.</exception>
    public static int? QueryInteger(HttpRequest request, string name, IReadOnlyList<string> known, int min, int max)
    {
        if (Query(request, name, known) is not { } text)
        {
            return null;
        }
        // Digits only (an optional minus): no "+5", " 5", "5.0" or "0x5" that another reader might take otherwise.
        var digits = text.StartsWith('-') ? text[1..] : text;
        if (digits.Length is 0 or > 10 || !digits.All(char.IsAsciiDigit) || !long.TryParse(text, out var value) || value < min || value > max)
        {
            throw ApiProblem.BadInput(name, $"{name}: expected an integer from {min} to {max}, found '{Shorten(text)}'");
        }
        return (int)value;
    }

    /// <summary>Whether a request's <c>Content-Type</c> is JSON: <c>application/json</c>, with or without a charset of UTF-8.</summary>
    public static bool IsJson(HttpRequest request) =>
        Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(request.ContentType, out var type)
        && type.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
        && (type.Charset is not { Length: > 0 } charset || charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase));

    /// <summary>415 when a body is not declared JSON: the body is not read.</summary>
    /// <exception cref="ApiProblem">415 naming <c>content-type</c>.</exception>
    public static void RequireJson(HttpRequest request)
    {
        if (!IsJson(request))
        {
            throw new ApiProblem(StatusCodes.Status415UnsupportedMediaType, "content-type",
                $"send the body as JSON with 'Content-Type: application/json', found {(StringValues.IsNullOrEmpty(request.Headers.ContentType) ? "no Content-Type" : $"'{Shorten(request.ContentType!)}'")}");
        }
    }

    /// <summary>A value sent by the caller as it is quoted back in a refusal: at most 64 characters of it.</summary>
    public static string Shorten(string text) => text.Length <= 64 ? text : text[..64] + "…";

    private static void RequireToken(string field, string value, int maxLength)
    {
        if (value.Length is 0 || value.Length > maxLength)
        {
            throw ApiProblem.BadInput(field, $"{field}: expected 1 to {maxLength} characters, found {value.Length}");
        }
        var at = value.AsSpan().IndexOfAnyExceptInRange('!', '~');
        if (at >= 0)
        {
            throw ApiProblem.BadInput(field, $"{field}: expected printable ASCII characters without spaces, found U+{(int)value[at]:X4} at {at}");
        }
    }
}
