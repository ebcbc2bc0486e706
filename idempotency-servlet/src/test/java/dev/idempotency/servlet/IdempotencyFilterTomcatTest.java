package dev.idempotency.servlet;

import jakarta.servlet.Filter;
import jakarta.servlet.Servlet;
import java.nio.file.Path;
import org.apache.catalina.Context;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.util.descriptor.web.FilterDef;
import org.apache.tomcat.util.descriptor.web.FilterMap;

/** The filter's suite in an embedded Tomcat 11 (Servlet 6.1), its base directory a test's own. */
class IdempotencyFilterTomcatTest extends IdempotencyFilterContract {
  @Override
  Container newContainer(Path directory) {
    Tomcat tomcat = new Tomcat();
    // Tomcat writes its work files under its base directory: a temporary one, never the checkout.
    tomcat.setBaseDir(directory.toString());
    Connector connector = new Connector();
    connector.setPort(0);
    connector.setProperty("address", "127.0.0.1");
    tomcat.setConnector(connector);
    Context context = tomcat.addContext("", directory.toString());
    return new Container() {
      @Override
      public void addFilter(String name, Filter filter, String pattern) {
        FilterDef def = new FilterDef();
        def.setFilterName(name);
        def.setFilter(filter);
        context.addFilterDef(def);
        FilterMap map = new FilterMap();
        map.setFilterName(name);
        map.addURLPattern(pattern);
        context.addFilterMap(map);
      }

      @Override
      public void addServlet(String name, Servlet servlet, String pattern) {
        Tomcat.addServlet(context, name, servlet);
        context.addServletMappingDecoded(pattern, name);
      }

      @Override
      public int start() throws Exception {
        tomcat.start();
        return connector.getLocalPort();
      }

      @Override
      public void stop() throws Exception {
        tomcat.stop();
        tomcat.destroy();
      }
    };
  }
}
