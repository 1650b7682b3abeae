using Dpr.Fuzz;
using SharpFuzz;

// dpr-fuzz list | seed DIR | run TARGET | replay TARGET PATH... (docs/fuzzing.md)
const string Usage = """
    usage: dpr-fuzz list                       the targets
           dpr-fuzz seed DIR                   write the initial corpus of every target to DIR/TARGET/, its dictionary to DIR/TARGET.dict
           dpr-fuzz run TARGET                 under afl-fuzz (SharpFuzz): read inputs from afl, report crashes
           dpr-fuzz replay TARGET PATH...      run files (or every file of directories) without afl; exit 1 on a finding
    """;

if (args.Length == 0)
{
    Console.Error.WriteLine(Usage);
    return 2;
}
switch (args[0])
{
    case "list":
        foreach (var t in FuzzTargets.All)
        {
            Console.WriteLine($"{t.Name,-12} {t.Description}");
        }
        return 0;
    case "seed" when args.Length == 2:
        var fixtures = FixtureDirectory.Find();
        foreach (var t in FuzzTargets.All)
        {
            var dir = Directory.CreateDirectory(Path.Combine(args[1], t.Name));
            var count = 0;
            foreach (var seed in t.Seeds(fixtures))
            {
                File.WriteAllBytes(Path.Combine(dir.FullName, seed.Name), seed.Bytes);
                count++;
            }
            // Beside the corpus, not in it: afl-fuzz -i reads every file of the folder as a seed.
            var tokens = t.Dictionary.Select((token, i) => $"token_{i}=\"{Escape(token)}\"").ToList();
            if (tokens.Count > 0)
            {
                File.WriteAllLines(Path.Combine(args[1], t.Name + ".dict"), tokens);
            }
            Console.WriteLine($"{t.Name}: {count} seeds in {dir.FullName}, {tokens.Count} dictionary tokens");
        }
        return 0;
    case "run" when args.Length == 2 && FuzzTargets.Find(args[1]) is { } target:
        Fuzzer.Run(stream =>
        {
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            target.Run(buffer.ToArray());
        });
        return 0;
    case "replay" when args.Length >= 3 && FuzzTargets.Find(args[1]) is { } target:
        var files = args.Skip(2).SelectMany(p => Directory.Exists(p) ? Directory.GetFiles(p).Order(StringComparer.Ordinal) : (IEnumerable<string>)[p]).ToList();
        var findings = 0;
        foreach (var file in files)
        {
            try
            {
                target.Run(File.ReadAllBytes(file));
            }
            catch (Exception e)
            {
                findings++;
                Console.WriteLine($"finding: {file}: {e.GetType().FullName}: {e.Message}");
                Console.WriteLine(e.StackTrace);
            }
        }
        Console.WriteLine($"{target.Name}: {files.Count} inputs, {findings} findings");
        return findings == 0 ? 0 : 1;
    default:
        Console.Error.WriteLine(Usage);
        return 2;
}

// afl-fuzz's dictionary syntax: printable ASCII as is, except '"' and '\\', everything else \xNN.
static string Escape(byte[] token) => string.Concat(token.Select(b => b is >= 0x20 and < 0x7F and not (byte)'"' and not (byte)'\\' ? ((char)b).ToString() : $"\\x{b:X2}"));
