using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using Spectre.Console;

namespace Dpr.Host.Bench;

/// <summary>
/// What every <c>dpr bench NAME</c> verb produces: rows (one dictionary per table line, columns in
/// insertion order) and the issue's goals computed from those rows.
/// </summary>
public sealed record BenchReport(
    string Benchmark,
    MachineInfo Machine,
    IReadOnlyList<IReadOnlyDictionary<string, object?>> Rows,
    IReadOnlyList<BenchGoal> Goals)
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        // Keep "+" and the like readable in the recorded files; nothing here is embedded in HTML.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public void Render(IAnsiConsole console)
    {
        console.MarkupLineInterpolated($"[bold]{Benchmark}[/] on {Machine.Description}");
        if (Rows.Count > 0)
        {
            var table = new Table().Border(TableBorder.Rounded);
            var columns = Rows.SelectMany(r => r.Keys).Distinct().ToList();
            foreach (var c in columns)
            {
                table.AddColumn(new TableColumn(Markup.Escape(c)));
            }
            foreach (var row in Rows)
            {
                table.AddRow(columns.Select(c => Markup.Escape(Format(row.GetValueOrDefault(c)))).ToArray());
            }
            console.Write(table);
        }
        if (Goals.Count > 0)
        {
            var goals = new Table().Border(TableBorder.Rounded).Title("goals");
            goals.AddColumns("goal", "target", "measured", "unit", "met");
            foreach (var g in Goals)
            {
                goals.AddRow(
                    Markup.Escape(g.Name), Format(g.Target), Format(g.Measured), Markup.Escape(g.Unit),
                    g.Met ? "[green]yes[/]" : "[red]no[/]");
            }
            console.Write(goals);
        }
    }

    private static string Format(object? value) => value switch
    {
        null => "",
        double d => d.ToString(Math.Abs(d) >= 100 ? "N0" : "0.###", System.Globalization.CultureInfo.InvariantCulture),
        float f => Format((double)f),
        _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "",
    };
}

/// <summary>The machine a run was measured on, recorded beside its figures.</summary>
public sealed record MachineInfo(string Os, string Architecture, int Cores, string Cpu, string Runtime, string Description)
{
    public static MachineInfo Current()
    {
        var cpu = ReadCpuModel() ?? RuntimeInformation.ProcessArchitecture.ToString();
        var os = RuntimeInformation.OSDescription;
        var arch = RuntimeInformation.ProcessArchitecture.ToString();
        var cores = Environment.ProcessorCount;
        var runtime = RuntimeInformation.FrameworkDescription;
        return new MachineInfo(os, arch, cores, cpu, runtime, $"{cpu}, {cores} cores, {os}, {runtime}");
    }

    private static string? ReadCpuModel()
    {
        try
        {
            return File.ReadLines("/proc/cpuinfo")
                .FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))
                ?.Split(':', 2)[1].Trim();
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
