using System.Text.Json;
using Dpr.Actors.Audit;

namespace Dpr.Host.Service;

/// <summary>
/// How changes made by <c>dpr tenants</c> (a process without the service's journal) reach the audit trail: the
/// CLI appends an entry per change to <c>audit-inbox.jsonl</c> in the data directory, naming the OS user who ran
/// it (<c>cli:USER</c>, and who ran <c>sudo</c>); the service moves the file aside, stores its entries in the
/// journal and deletes it (<see cref="AuditInboxService"/>, at start and every second). A change made while the
/// service is stopped is recorded at its next start, with the time it was made.
/// </summary>
public static class AuditInbox
{
    public const string FileName = "audit-inbox.jsonl";

    /// <summary>The file the service moved the inbox to and is storing; left by a stop half way, it is stored first at the next start.</summary>
    public const string TakenName = "audit-inbox.taken.jsonl";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>An entry for a change made by this process on the command line, by the OS user running it.</summary>
    public static AuditEvents.ActionRecorded FromCli(string action, string target, string? detail) =>
        new(DateTimeOffset.UtcNow, CliUser(), null, $"cli@{Environment.MachineName}", action, target, detail, "ok", null, null);

    public static void Append(string dataDirectory, AuditEvents.ActionRecorded entry)
    {
        var path = Path.Combine(dataDirectory, FileName);
        using var _ = DataFileLock.Acquire(path);
        File.AppendAllText(path, JsonSerializer.Serialize(entry, Json) + "\n");
    }

    /// <summary>
    /// The entries waiting: those of a taken file left behind, else the inbox moved aside first (under the lock the
    /// CLI appends under). Null when there are none. Once stored, <see cref="Done"/> deletes them.
    /// </summary>
    public static IReadOnlyList<AuditEvents.ActionRecorded>? Take(string dataDirectory)
    {
        var inbox = Path.Combine(dataDirectory, FileName);
        var taken = Path.Combine(dataDirectory, TakenName);
        if (!File.Exists(taken))
        {
            if (!File.Exists(inbox))
            {
                return null;
            }
            using var _ = DataFileLock.Acquire(inbox);
            File.Move(inbox, taken);
        }
        return [.. File.ReadAllLines(taken).Where(l => l.Length > 0).Select(Parse)];
    }

    /// <summary>The first <paramref name="stored"/> entries of the taken file are in the journal: keep only the rest.</summary>
    public static void Done(string dataDirectory, IReadOnlyList<AuditEvents.ActionRecorded> entries, int stored)
    {
        var taken = Path.Combine(dataDirectory, TakenName);
        if (stored >= entries.Count)
        {
            File.Delete(taken);
            return;
        }
        File.WriteAllLines(taken + ".tmp", entries.Skip(stored).Select(e => JsonSerializer.Serialize(e, Json)));
        File.Move(taken + ".tmp", taken, overwrite: true);
    }

    private static AuditEvents.ActionRecorded Parse(string line)
    {
        try
        {
            return JsonSerializer.Deserialize<AuditEvents.ActionRecorded>(line, Json) ?? throw new JsonException("null");
        }
        catch (JsonException e)
        {
            // A line nobody can read is still kept as what it is, rather than lost or blocking the rest.
            return new AuditEvents.ActionRecorded(DateTimeOffset.UtcNow, "unknown", null, "audit-inbox", "unreadable", null, line.Length > 500 ? line[..500] : line, "failed", null, e.Message);
        }
    }

    private static string CliUser()
    {
        var user = Environment.UserName;
        return Environment.GetEnvironmentVariable("SUDO_USER") is { Length: > 0 } sudo && sudo != user ? $"cli:{user} (sudo by {sudo})" : $"cli:{user}";
    }
}
