using System.CommandLine;
using Dpr.Fabric.Boards;
using Dpr.Fabric.Modules;
using Microsoft.Extensions.Configuration;
using Spectre.Console;

namespace Dpr.Host.Cli;

/// <summary><c>dpr modules init|add|keygen|sign|verify</c>: build, sign and check a module catalog directory; <c>list</c> asks a running service.</summary>
public static class ModulesCommand
{
    public static Command Create() => new("modules", "Build, sign and check module catalogs; list a running service's modules.")
    {
        Init(), Add(), Keygen(), Sign(), Verify(), Client.ClientCommands.ModulesList(),
    };

    private static Command Init()
    {
        var dir = new Argument<DirectoryInfo>("DIR") { Description = "The catalog directory to write." };
        var board = BoardOption();
        var key = new Option<FileInfo?>("--key") { Description = "Sign the manifests with this private key (PEM)." };
        var command = new Command("init", "Write synthetic partials and manifests for the six convolution modules of a board.") { dir, board, key };
        CliAction.Set(command, (parse, output) =>
        {
            var b = BoardCatalog.Load(parse.GetValue(board)!);
            using var signer = parse.GetValue(key) is { } k ? ModuleSigner.LoadKey(ReadText(k)) : null;
            var target = parse.GetValue(dir)!.FullName;
            ModuleCatalog.WriteSynthetic(b, target, signer);
            output.WriteLine($"wrote 6 synthetic convolution modules for {b.Name} to {target}{(signer is null ? "" : ", signed")}");
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>Where <c>modules add</c> finds a signing key when <c>--key</c> is not given.</summary>
    public const string SigningKeyVariable = "DPR_SIGNING_KEY";

    private static Command Add()
    {
        var partial = new Argument<FileInfo>("PARTIAL") { Description = "The partial bitstream from Vivado (.bit or .bin)." };
        var hwh = new Option<FileInfo?>("--hwh") { Description = "Its hardware handoff (.hwh), copied beside it: gives the module's name and register offset." };
        var name = new Option<string?>("--name") { Description = "The module's name; default the .hwh's system name, else the file name without _partial." };
        var board = new Option<string?>("--board") { Description = "The board (built-in name or profile JSON); default Dpr:Board, as dpr serve reads it (pynq-z2)." };
        var data = new Option<string?>("--data") { Description = "The data directory whose modules/ catalog dpr serve reads; default Dpr:Data (./data)." };
        var key = new Option<FileInfo?>("--key") { Description = $"Sign the manifest with this private key (PEM); default ${SigningKeyVariable} if set." };
        var command = new Command("add", "Add a Vivado partial to the service's module catalog: find the partition it fits exactly, write and sign its manifest.")
        {
            partial, hwh, name, board, data, key,
        };
        CliAction.Set(command, (parse, output) =>
        {
            // The settings dpr serve would use (appsettings.json, DPR__*), so the module lands where the service looks and is checked with its trust.
            var options = Service.ServiceOptions.From(new ConfigurationBuilder()
                .SetBasePath(Directory.GetCurrentDirectory())
                .AddJsonFile("appsettings.json", optional: true)
                .AddEnvironmentVariables()
                .AddInMemoryCollection(new Dictionary<string, string?> { ["Dpr:Board"] = parse.GetValue(board), ["Dpr:Data"] = parse.GetValue(data) }.Where(o => o.Value is not null))
                .Build());
            var b = BoardCatalog.Load(options.Board);
            IReadOnlyList<System.Security.Cryptography.ECDsa> trusted;
            try
            {
                trusted = options.LoadTrustedKeys();
            }
            catch (Service.ServiceOptionsException e)
            {
                throw new CliFailure(ExitCodes.UsageOrFile, string.Join(Environment.NewLine, e.Problems));
            }
            var keyFile = parse.GetValue(key) ?? (Environment.GetEnvironmentVariable(SigningKeyVariable) is { Length: > 0 } path ? new FileInfo(path) : null);
            using var signer = keyFile is null ? null : ModuleSigner.LoadKey(ReadText(keyFile));
            var file = parse.GetValue(partial)!;
            var result = ModuleOnboarding.Add(
                options.ModulesDirectory, b, file.Name, CliAction.ReadFile(file), parse.GetValue(hwh) is { } h ? CliAction.ReadFile(h) : null,
                parse.GetValue(name), signer, new ModuleCatalogOptions(options.RequireSignedModules, trusted));
            if (result.Module is not { } module)
            {
                var code = result.Problem is not null ? ExitCodes.Malformed : result.Fit.Outcome switch
                {
                    VerdictOutcome.WrongDevice => ExitCodes.WrongDevice,
                    VerdictOutcome.CrcMismatch => ExitCodes.CrcMismatch,
                    _ => ExitCodes.OutsidePartition,
                };
                throw new CliFailure(code, $"refused {file.Name}: {result.Reason}");
            }
            output.WriteLine($"added {module.Name} to partition {module.Partition.Name} of board {b.Name}: {module.Image.File.Length:N0} bytes, sha256 {module.Manifest.Sha256}, "
                + (module.Signed ? $"signed with key {module.Manifest.Signature!.KeyId}" : "unsigned"));
            output.WriteLine($"  {result.Fit.Reason}");
            output.WriteLine($"  manifest {module.ManifestPath}; dpr serve --board {options.Board} --data {options.Data} serves it from its next start");
            if (signer is not null && !trusted.Any(t => ModuleSigner.KeyId(t) == ModuleSigner.KeyId(signer)))
            {
                // Checked above as if trusted: the service refuses it until its public key is.
                output.WriteLine($"  note: the service does not trust key {ModuleSigner.KeyId(signer)} yet; add its public key to Dpr:TrustedKeys (README, settings)");
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Keygen()
    {
        var prefix = new Argument<string>("PREFIX") { Description = "Writes PREFIX.key.pem (private, keep it safe) and PREFIX.pub.pem." };
        var command = new Command("keygen", "Create an ECDSA P-256 signing key pair.") { prefix };
        CliAction.Set(command, (parse, output) =>
        {
            using var key = ModuleSigner.CreateKey();
            var p = parse.GetValue(prefix)!;
            WriteText(p + ".key.pem", key.ExportPkcs8PrivateKeyPem());
            WriteText(p + ".pub.pem", key.ExportSubjectPublicKeyInfoPem());
            output.WriteLine($"key {ModuleSigner.KeyId(key)}: wrote {p}.key.pem and {p}.pub.pem");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Sign()
    {
        var manifests = new Argument<FileInfo[]>("MANIFEST") { Description = "Manifests to sign in place.", Arity = ArgumentArity.OneOrMore };
        var key = new Option<FileInfo>("--key") { Description = "The private key (PEM).", Required = true };
        var command = new Command("sign", "Sign module manifests (the image hash and the manifest fields).") { manifests, key };
        CliAction.Set(command, (parse, output) =>
        {
            using var signer = ModuleSigner.LoadKey(ReadText(parse.GetValue(key)!));
            foreach (var file in parse.GetValue(manifests)!)
            {
                ModuleManifest manifest;
                try
                {
                    manifest = ModuleCatalog.Read(file.FullName);
                }
                catch (Exception e) when (e is IOException or System.Text.Json.JsonException or ModuleProblemException)
                {
                    throw new CliFailure(ExitCodes.UsageOrFile, $"cannot read manifest {file.FullName}: {e.Message}");
                }
                ModuleCatalog.Save(ModuleSigner.Sign(manifest, signer), file.FullName);
                output.WriteLine($"signed {file.Name} with key {ModuleSigner.KeyId(signer)}");
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Verify()
    {
        var dir = new Argument<DirectoryInfo>("DIR") { Description = "The catalog directory." };
        var board = BoardOption();
        var trust = new Option<FileInfo[]>("--trust") { Description = "Public keys (PEM) whose signatures are accepted.", AllowMultipleArgumentsPerToken = true };
        var require = new Option<bool>("--require-signed") { Description = "Refuse unsigned modules." };
        var command = new Command("verify", "Check every module of a catalog against a board; exit 0 only if all are good.") { dir, board, trust, require };
        CliAction.Set(command, (parse, output) =>
        {
            var b = BoardCatalog.Load(parse.GetValue(board)!);
            var keys = (parse.GetValue(trust) ?? []).Select(f => ModuleSigner.LoadKey(ReadText(f))).ToList();
            var catalog = ModuleCatalog.Load(parse.GetValue(dir)!.FullName, b, new ModuleCatalogOptions(parse.GetValue(require), keys));
            var console = InspectCommand.ConsoleFor(output);
            var table = new Table().Border(TableBorder.Rounded).AddColumns("module", "aliases", "partition", "kind", "bytes", "signed", "status");
            foreach (var m in catalog.Modules)
            {
                table.AddRow(
                    Markup.Escape(m.Name), Markup.Escape(string.Join(", ", m.Manifest.Aliases)), m.Partition.Name, Markup.Escape(m.Manifest.Kind.ToString()),
                    $"{m.Image.File.Length:N0}", m.Signed ? "yes" : "no", m.Manifest.Synthetic ? "[green]ok[/] (synthetic)" : "[green]ok[/]");
            }
            foreach (var p in catalog.Problems)
            {
                table.AddRow(Markup.Escape(Path.GetFileName(p.File)), "", "", "", "", "", $"[red]{Markup.Escape(p.Field)}: {Markup.Escape(p.Message)}[/]");
            }
            console.Write(table);
            return catalog.Problems.Count == 0 ? ExitCodes.Ok : ExitCodes.Malformed;
        });
        return command;
    }

    private static Option<string> BoardOption() => new("--board") { Description = "A built-in board name or a board JSON file.", Required = true };

    private static string ReadText(FileInfo file) => System.Text.Encoding.UTF8.GetString(CliAction.ReadFile(file));

    private static void WriteText(string path, string text) => CliAction.WriteFile(new FileInfo(path), System.Text.Encoding.UTF8.GetBytes(text));
}
