namespace Dpr.Host.Api;

/// <summary>Prometheus' text format (exposition format 0.0.4) put together from several registries' exports.</summary>
public static class MetricsText
{
    /// <summary>
    /// One exposition of every series of <paramref name="texts"/>: each family once, with the <c># HELP</c> and
    /// <c># TYPE</c> of the first text that has it, then every text's samples of it (a fleet node's own metrics and each
    /// board's, whose series differ by their <c>board</c> label). The format allows a family only once.
    /// </summary>
    public static string Merge(IEnumerable<string> texts)
    {
        var families = new Dictionary<string, (List<string> Head, List<string> Samples)>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var text in texts)
        {
            List<string>? samples = null;
            foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                if (line.StartsWith("# HELP ", StringComparison.Ordinal) || line.StartsWith("# TYPE ", StringComparison.Ordinal))
                {
                    var name = line.Split(' ', 4)[2];
                    if (!families.TryGetValue(name, out var family))
                    {
                        family = ([], []);
                        families[name] = family;
                        order.Add(name);
                    }
                    if (!family.Head.Any(h => h.StartsWith(line[..7], StringComparison.Ordinal)))
                    {
                        family.Head.Add(line);
                    }
                    samples = family.Samples;
                }
                else if (!line.StartsWith('#'))
                {
                    (samples ?? throw new FormatException($"a sample before its family's # HELP or # TYPE: '{line}'")).Add(line);
                }
            }
        }
        return string.Concat(order.SelectMany(name => families[name].Head.Concat(families[name].Samples)).Select(line => line + "\n"));
    }
}
