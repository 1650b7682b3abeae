using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using Dpr.Fabric.Convolution;
using Dpr.Fabric.Drivers;

namespace Dpr.Fabric.Tests.Hardware;

/// <summary>
/// hardware/register-map.json is the one definition of the RMs' registers: the RTL's include file and the
/// C# driver's constants must say exactly what it says, no more, no less.
/// </summary>
public sealed partial class RegisterMapTests
{
    private static readonly JsonElement Map =
        JsonDocument.Parse(File.ReadAllText(RepositoryFiles.PathOf("hardware/register-map.json"))).RootElement;

    /// <summary>Every number the JSON defines, keyed by its name in conv_regs.vh.</summary>
    private static Dictionary<string, long> ExpectedVerilog()
    {
        var expected = new Dictionary<string, long>
        {
            ["CONV_ID_MAGIC"] = Hex(Map.GetProperty("idMagic")),
            ["CONV_VERSION_VALUE"] = Hex(Map.GetProperty("version")),
        };
        foreach (var register in Map.GetProperty("registers").EnumerateArray())
        {
            var name = register.GetProperty("name").GetString()!;
            expected[$"CONV_REG_{name}"] = Hex(register.GetProperty("offset"));
            foreach (var field in register.GetProperty("fields").EnumerateArray())
            {
                var prefix = $"CONV_{name}_{field.GetProperty("name").GetString()}";
                expected[prefix + "_LSB"] = field.GetProperty("lsb").GetInt32();
                expected[prefix + "_WIDTH"] = field.GetProperty("width").GetInt32();
            }
        }
        foreach (var array in Map.GetProperty("arrays").EnumerateArray())
        {
            var name = array.GetProperty("name").GetString()!;
            expected[$"CONV_REG_{name}_BASE"] = Hex(array.GetProperty("offset"));
            expected[$"CONV_{name}_STRIDE"] = array.GetProperty("stride").GetInt32();
            expected[$"CONV_{name}_COUNT"] = array.GetProperty("count").GetInt32();
        }
        return expected;
    }

    [Fact]
    public void Verilog_include_defines_exactly_the_json_map()
    {
        var text = File.ReadAllText(RepositoryFiles.PathOf("hardware/rtl/conv_regs.vh"));
        var defined = new Dictionary<string, long>();
        foreach (Match m in Define().Matches(text))
        {
            defined[m.Groups["name"].Value] = VerilogNumber(m.Groups["value"].Value);
        }

        Assert.Equal(ExpectedVerilog().OrderBy(p => p.Key), defined.OrderBy(p => p.Key));
    }

    [Fact]
    public void Csharp_constants_are_exactly_the_json_map()
    {
        // CONV_REG_IMG_W -> ImgW, CONV_CONFIG_PAD_SAME_LSB -> ConfigPadSameLsb, CONV_ID_MAGIC -> IdMagic.
        var expected = ExpectedVerilog().ToDictionary(
            p => Pascal(p.Key["CONV_".Length..].Replace("REG_", "", StringComparison.Ordinal)), p => p.Value);
        var actual = typeof(ConvRegisterMap)
            .GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral)
            .ToDictionary(f => f.Name, f => Convert.ToInt64(f.GetRawConstantValue(), CultureInfo.InvariantCulture));

        Assert.Equal(expected.OrderBy(p => p.Key), actual.OrderBy(p => p.Key));
    }

    [Fact]
    public void Id_encodes_kernel_and_precision_as_the_json_documents()
    {
        Assert.Equal(0x434E0510u, ConvRegisterMap.IdFor(ConvModule.Resolve("conv5x5_int16")));
        Assert.Equal(0x434E0308u, ConvRegisterMap.IdFor(ConvModule.Resolve("conv3x3_8bit")));
        Assert.Equal(6, ConvModule.All.Select(ConvRegisterMap.IdFor).Distinct().Count());
        Assert.Contains("0x434E0510", Map.GetProperty("registers")[0].GetProperty("description").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Config_word_places_every_field_where_the_map_says()
    {
        var spec = new ConvSpec(ConvModule.Resolve("conv3x3_int8"), 2, ConvPadding.Same, 37, ConvOutputMode.Requantized);
        Assert.Equal(0x0025_0012u, ConvRegisterMap.ConfigFor(spec));
        var raw = spec with { Stride = 1, Padding = ConvPadding.Valid, Shift = 0, Output = ConvOutputMode.Raw };
        Assert.Equal(0x0000_0101u, ConvRegisterMap.ConfigFor(raw));
        var bad = spec with { Output = ConvOutputMode.Raw };
        Assert.Equal("shift", Assert.Throws<ConvolutionException>(() => ConvRegisterMap.ConfigFor(bad)).Field);
    }

    [Fact]
    public void Register_map_page_lists_every_register_at_its_offset()
    {
        var page = File.ReadAllText(RepositoryFiles.PathOf("docs/register-map.md"));
        foreach (var register in Map.GetProperty("registers").EnumerateArray())
        {
            var row = $"| `0x{Hex(register.GetProperty("offset")):X3}` | `{register.GetProperty("name").GetString()}` |";
            Assert.Contains(row, page, StringComparison.Ordinal);
        }
    }

    private static long Hex(JsonElement value) =>
        long.Parse(value.GetString()!.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    private static long VerilogNumber(string text)
    {
        var tick = text.IndexOf('\'', StringComparison.Ordinal);
        if (tick < 0)
        {
            return long.Parse(text, CultureInfo.InvariantCulture);
        }
        var digits = text[(tick + 2)..].Replace("_", "", StringComparison.Ordinal);
        return text[tick + 1] switch
        {
            'h' => long.Parse(digits, NumberStyles.HexNumber, CultureInfo.InvariantCulture),
            'd' => long.Parse(digits, CultureInfo.InvariantCulture),
            _ => throw new FormatException($"unsupported Verilog number {text}"),
        };
    }

    private static string Pascal(string upperSnake) =>
        string.Concat(upperSnake.Split('_').Select(w => w[..1] + w[1..].ToLowerInvariant()));

    [GeneratedRegex(@"^`define\s+(?<name>CONV_\w+)\s+(?<value>\S+)\s*$", RegexOptions.Multiline)]
    private static partial Regex Define();
}
