using System.Text;

namespace Dpr.Host.Tests.Service;

/// <summary>What an interleaving run did and found; <see cref="Violations"/> is empty when every invariant held.</summary>
public sealed record InterleavingReport(
    IReadOnlyList<InterleavingOperation> Operations,
    IReadOnlyList<string> Violations,
    IReadOnlyDictionary<string, int> Applied,
    int AcceptedJobs,
    int CompletedJobs,
    int FailedJobs,
    int Lifetimes,
    int Swaps,
    int Disturbances,
    int JournalRows,
    int JournalBound,
    IReadOnlyDictionary<string, int> RowsByManifest,
    IReadOnlyList<string> Log)
{
    public override string ToString()
    {
        var text = new StringBuilder();
        text.AppendLine($"{Operations.Count} operations: {string.Join("; ", Operations)}");
        text.AppendLine($"applied: {string.Join(", ", Applied.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => $"{a.Key} {a.Value}"))}");
        text.AppendLine($"{AcceptedJobs} jobs accepted ({CompletedJobs} completed, {FailedJobs} failed) over {Lifetimes} process lifetimes; {Swaps} swaps; {Disturbances} disturbances");
        text.AppendLine($"journal: {JournalRows} rows, bound {JournalBound} ({string.Join(", ", RowsByManifest.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => $"{r.Key} {r.Value}"))})");
        if (Violations.Count > 0)
        {
            text.AppendLine($"{Violations.Count} violations:");
            foreach (var violation in Violations)
            {
                text.AppendLine("  " + violation);
            }
            text.AppendLine("log (warnings and errors, then the last lines):");
            foreach (var line in Log.Where(l => l.Contains(" WARNING ", StringComparison.Ordinal) || l.Contains(" ERROR ", StringComparison.Ordinal)).Take(40).Concat(["  ..."]).Concat(Log.TakeLast(40)))
            {
                text.AppendLine("  " + line);
            }
        }
        return text.ToString();
    }
}
