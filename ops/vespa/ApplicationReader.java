/*
 * Vespa's own reading of a Vespa application package, printed as JSON.
 *
 * Why this exists: Vespa cannot run on officestream's development and CI machines, yet the
 * application package in processors/vespa_loader/application must be one Vespa accepts, and
 * the document/v1 test server must refuse exactly the documents Vespa would refuse. Rather than
 * parse the package ourselves (and so check it against our own reading), this asks Vespa's config
 * model (Maven Central: com.yahoo.vespa:config-model, the code a config server runs on deploy) to
 * read it. ops/vespa/config_model.py fetches the jars, compiles this file and runs it.
 *
 * Usage: java -cp <classes>:<config model jars> ApplicationReader <application dir> [--model]
 *   always   every schemas/*.sd, parsed and processed by com.yahoo.schema.ApplicationBuilder, as
 *            a deployment does (an unknown field type, a bad indexing statement... is refused);
 *   --model  also the whole application model, as a deployment builds it: services.xml checked
 *            against Vespa's RELAX NG schema, the model built, Vespa's deploy-time validators run.
 * Output on stdout:
 *   {"schemas": [{"name", "document", "fields": [{"name", "type", "attribute", "index"}]}],
 *    "content_clusters": {"<cluster id>": ["<document type>", ...]}   (with --model only),
 *    "deploy_log": [{"level", "message"}]}                           (Vespa's warnings)
 * A package Vespa refuses: exit 3 with Vespa's message on stderr. Usage errors: exit 2.
 */

import com.fasterxml.jackson.databind.ObjectMapper;
import com.yahoo.config.application.api.DeployLogger;
import com.yahoo.config.model.api.ValidationParameters;
import com.yahoo.config.model.application.provider.FilesApplicationPackage;
import com.yahoo.config.model.deploy.DeployState;
import com.yahoo.document.Field;
import com.yahoo.schema.ApplicationBuilder;
import com.yahoo.schema.Schema;
import com.yahoo.schema.document.SDField;
import com.yahoo.vespa.model.VespaModel;
import com.yahoo.vespa.model.application.validation.Validation;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;

public final class ApplicationReader {

    static final int REFUSED = 3;

    /** What Vespa tells a deployer (deprecations, checks it could not run), kept for the output. */
    static final class CollectingLogger implements DeployLogger {
        final List<Map<String, String>> entries = new ArrayList<>();

        @Override
        public void log(Level level, String message) {
            Map<String, String> entry = new LinkedHashMap<>();
            entry.put("level", level.getName());
            entry.put("message", message);
            entries.add(entry);
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1 || args.length > 2 || (args.length == 2 && !args[1].equals("--model"))) {
            System.err.println("usage: ApplicationReader <application dir> [--model]");
            System.exit(2);
        }
        // Vespa logs INFO lines (e.g. "VESPA_HOME not set") that say nothing about the package.
        Logger.getLogger("").setLevel(Level.WARNING);
        Path application = Path.of(args[0]);
        CollectingLogger log = new CollectingLogger();
        Map<String, Object> reading = new LinkedHashMap<>();
        try {
            reading.put("schemas", schemas(application, log));
            if (args.length == 2) {
                reading.put("content_clusters", contentClusters(application, log));
            }
        } catch (Exception refused) { // Vespa refuses with IllegalArgumentException, ParseException...
            System.err.println(message(refused));
            System.exit(REFUSED);
        }
        reading.put("deploy_log", log.entries);
        System.out.println(new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(reading));
    }

    static List<Map<String, Object>> schemas(Path application, DeployLogger log) throws Exception {
        ApplicationBuilder builder = new ApplicationBuilder(log);
        try (Stream<Path> files = Files.list(application.resolve("schemas"))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".sd")).sorted().toList()) {
                builder.addSchemaFile(file.toString());
            }
        }
        builder.build(true);
        List<Map<String, Object>> schemas = new ArrayList<>();
        for (Schema schema : builder.getSchemaList()) {
            List<Map<String, Object>> fields = new ArrayList<>();
            for (Field field : schema.getDocument().fieldSet()) {
                SDField declared = schema.getDocumentField(field.getName());
                Map<String, Object> described = new LinkedHashMap<>();
                described.put("name", field.getName());
                described.put("type", field.getDataType().getName()); // Vespa's names: "string", "Array<string>"
                described.put("attribute", declared.doesAttributing());
                described.put("index", declared.doesIndexing());
                fields.add(described);
            }
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("name", schema.getName());
            entry.put("document", schema.getDocument().getName());
            entry.put("fields", fields);
            schemas.add(entry);
        }
        return schemas;
    }

    /** The steps of a deployment that need no running Vespa: XML schema, model, validators. */
    static Map<String, List<String>> contentClusters(Path application, DeployLogger log) throws Exception {
        FilesApplicationPackage app = FilesApplicationPackage.fromDir(new File(application.toString()), Map.of());
        app.validateXML();
        ValidationParameters parameters = new ValidationParameters();
        DeployState state = new DeployState.Builder().applicationPackage(app).deployLogger(log).build(parameters);
        VespaModel model = new VespaModel(state);
        new Validation().validate(model, parameters, state);
        Map<String, List<String>> clusters = new TreeMap<>();
        model.documentTypesByCluster().forEach((cluster, types) -> clusters.put(cluster, types.stream().sorted().toList()));
        return clusters;
    }

    /** The refusal with its causes, each said once. */
    static String message(Throwable refused) {
        StringBuilder text = new StringBuilder(refused.getMessage() != null ? refused.getMessage() : refused.toString());
        for (Throwable cause = refused.getCause(); cause != null; cause = cause.getCause()) {
            String more = cause.getMessage();
            if (more != null && !text.toString().contains(more)) {
                text.append(": ").append(more);
            }
        }
        return text.toString();
    }
}
